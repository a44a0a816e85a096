"""The "Providers, last 7 days" card: how each provider and region served the account (a table; cards on phones)."""

from __future__ import annotations

import math

from nicegui import ui

from components.card_table import card_table
from components.routing_form import provider_label, region_label
from components.widgets import card
from services import locales
from services.locales import DEFAULT
from services.models import Account
from services.routing.route_stats import RouteStats, StatsWindow
from services.timeutil import format_local
from services.units import count_text, fixed_text

DASH = '—'
COLUMNS = [
    ('route', 'Provider and region', 'region'),
    ('requests', 'Requests'),
    ('latency_p50', 'Latency p50'),
    ('latency_p95', 'Latency p95'),
    ('ttft_p50', 'First token p50', 'streams'),
    ('ttft_p95', 'First token p95'),
    ('error_rate', 'Error rate', 'failed'),
    ('cancelled', 'Cancelled'),
]
SHOWN = 8  # routes shown before 'Show more': a phone shows each as a card
NUMERIC = ('requests', 'latency_p50', 'latency_p95', 'ttft_p50', 'ttft_p95', 'error_rate', 'cancelled')


def ms_text(value: float | None, loc: str = DEFAULT) -> str:
    """Whole milliseconds (halves up: 78.5 → 79), '1,234 ms'; a dash when there was nothing to measure."""
    return DASH if value is None else f'{count_text(math.floor(round(value, 6) + 0.5), loc)} ms'  # 954.99999… is 955


def rate_text(rate: float | None, loc: str = DEFAULT) -> str:
    """An error rate in percent with one decimal, '2.5 %'; a dash when no request finished."""
    return DASH if rate is None else f'{fixed_text(100 * rate, 1, loc)} %'


def stats_row(stats: RouteStats, loc: str = DEFAULT) -> dict[str, str]:
    """The texts of one provider and region, as the card shows them."""
    finished = stats.completed + stats.failed
    streams = f'{count_text(stats.streams, loc)} {"stream" if stats.streams == 1 else "streams"}'
    return {
        'route': provider_label(stats.provider),
        'region': _region_text(stats.region),
        'requests': count_text(stats.requests, loc),
        'latency_p50': ms_text(stats.latency_p50_ms, loc),
        'latency_p95': ms_text(stats.latency_p95_ms, loc),
        'ttft_p50': ms_text(stats.ttft_p50_ms, loc),
        'streams': streams if stats.streams else '',
        'ttft_p95': ms_text(stats.ttft_p95_ms, loc),
        'error_rate': rate_text(stats.error_rate, loc),
        'failed': f'{count_text(stats.failed, loc)} of {count_text(finished, loc)} failed' if finished else '',
        'cancelled': count_text(stats.cancelled, loc),
    }


def route_stats_card(account: Account, window: StatsWindow) -> None:
    with card(f'Providers, last {window.days} days').mark('route-stats'):
        if not window.rows:
            ui.label(
                f'No requests in the last {window.days} days yet. Once apps call lowrouter, each provider and '
                'region it used shows here with its speed and error rate.'
            ).classes('text-sm lr-muted').mark('route-stats-empty')
            return
        ui.label(
            f'Since {_local(account, window.since)}. Latency is from the request to the last token; time to first '
            'token is for streamed requests only. Both are over completed requests, at the median (p50) and for the '
            'slowest 5 % (p95). Error rate: failed out of completed and failed; cancelled requests (the app went '
            'away) are not errors.'
        ).classes('text-xs lr-muted').mark('route-stats-note')
        _table([stats_row(r, locales.of(account)) for r in window.rows])
        if window.capped:
            ui.label(
                'Busy week: these figures cover the newest '
                f'{count_text(window.limit, locales.of(account))} requests, back to '
                f'{_local(account, window.oldest)}; older ones of the {window.days} days are left out.'
            ).classes('text-xs text-amber-900').mark('route-stats-capped')


def _table(rows: list[dict[str, str]]) -> None:
    """The busiest SHOWN routes, and a button for the rest (a phone shows each route as a card)."""
    box = ui.column().classes('w-full gap-1')

    def show(every: bool) -> None:
        box.clear()
        with box:
            card_table(rows if every else rows[:SHOWN], COLUMNS, mark='route-stats', numeric=NUMERIC)
            if len(rows) > SHOWN:
                more = len(rows) - SHOWN
                what = 'provider and region' if more == 1 else 'providers and regions'
                text = 'Show the busiest only' if every else f'Show {more} more {what}'
                button = ui.button(text, on_click=lambda: show(not every))
                button.props('flat dense no-caps').classes('self-start').mark('route-stats-more')

    show(False)


def _region_text(region: str) -> str:
    """'US East (N. Virginia) · us-east-1'; the name alone when it holds the id already."""
    name = region_label(region)
    return name if region in name else f'{name} · {region}'


def _local(account: Account, moment) -> str:
    return f'{format_local(moment, account.timezone)} ({account.timezone})'
