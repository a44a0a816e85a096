"""The routing trace of one generation: every candidate, what was excluded and why, what was picked, each attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from nicegui import ui

from components.attempts import OK, attempts_section, outcome_words, should_show
from components.widgets import card
from services.locales import DEFAULT
from services.timeutil import local
from services.units import count_text, decimal_text, fixed_text
from services.usage.trace_limits import displayable

STATUS_STYLE = {
    'picked': ('check_circle', 'text-green-700', 'picked'),
    'considered': ('radio_button_unchecked', 'text-slate-500', 'considered'),
    'excluded': ('block', 'text-slate-400', 'excluded'),
    'failed': ('error', 'text-red-700', 'failed'),
}
REASONS = {
    'blocked_provider': 'provider blocked by policy',
    'provider_not_allowed': 'provider not in the allowed list',
    'not_fixed_provider': 'not the fixed provider',
    'blocked_region': 'region blocked by policy',
    'over_max_price': 'over the maximum price',
    'over_max_latency': 'over the maximum latency',
    'region_not_allowed': 'region not allowed',
    'not_configured': 'provider not configured',
    'cooling_off': 'cooling off after repeated failures',
}
COLUMNS = [
    {'name': 'status', 'label': '', 'field': 'status', 'align': 'left'},
    {'name': 'provider', 'label': 'Provider', 'field': 'provider', 'align': 'left'},
    {'name': 'model', 'label': 'Model', 'field': 'model', 'align': 'left'},
    {'name': 'region', 'label': 'Region', 'field': 'region', 'align': 'left'},
    {'name': 'price', 'label': 'Price in / out (USD per 1M)', 'field': 'price', 'align': 'right'},
    {'name': 'carbon', 'label': 'g CO2e per 1k tokens', 'field': 'carbon', 'align': 'right'},
    {'name': 'latency', 'label': 'Typical latency', 'field': 'latency', 'align': 'right'},
    {'name': 'note', 'label': 'Outcome', 'field': 'note', 'align': 'left'},
]


def routing_trace_card(
    trace: dict[str, Any] | None, *, status: str = 'completed', timezone: str = 'UTC', locale: str = DEFAULT
) -> None:
    """Draws any stored trace: one sent by an outside router may have any shape, and is shown as far as it fits.

    `status` is the generation's: in a failed one, an offer left 'picked' whose attempt did not answer is drawn
    as failed (older traces left it so). `timezone` and `locale` are the account's, for the times and numbers in
    the trace.
    """
    trace = displayable(trace) if isinstance(trace, dict) else None
    with card('Routing trace'):
        if not trace:
            ui.label(
                'No routing trace was recorded for this generation (it was reported by an outside router).'
            ).classes('text-sm lr-muted')
            return
        if 'omitted' in trace:
            ui.label(f'The routing trace is stored, but {trace["omitted"].removeprefix("this routing trace is ")}.')
            return
        attempts = _items(trace.get('attempts'))
        failed = status == 'failed'
        _summary(trace, attempts, failed)
        if should_show(attempts):
            attempts_section(attempts, locale)
        ui.label(_policy_words(trace)).classes('text-xs lr-muted pt-2')
        rows = [
            _row(c, timezone, locale, _failed_outcome(c, attempts) if failed else None)
            for c in _items(trace.get('candidates'))
        ]
        table = ui.table(columns=COLUMNS, rows=rows, row_key='key').props(
            'flat dense hide-pagination :pagination="{rowsPerPage: 0}" wrap-cells'
        )
        table.classes('w-full lr-trace-table max-md:hidden')
        table.add_slot(
            'body-cell-status',
            '<q-td :props="props"><q-icon :name="props.row.icon" :class="props.row.colour" size="18px" /></q-td>',
        )
        _phone_list(rows)


def _summary(trace: dict[str, Any], attempts: list[dict[str, Any]], failed: bool) -> None:
    """One sentence: what was asked for, what was picked and why (or, for a failed generation, what was tried last)."""
    picked = attempts[-1] if failed and attempts else _mapping(trace.get('picked'))
    where = f'{_text(picked.get("provider"))} in {_text(picked.get("region"))}'
    asked = f'Asked for {_text(trace.get("requested_model"))}'
    reason = _text(trace.get('reason')) if trace.get('reason') is not None else 'no reason recorded'
    with ui.row().classes('items-start gap-2 text-sm flex-nowrap'):
        if failed:
            ui.icon('error', size='20px').classes('text-red-700 shrink-0')
            ui.label(f'{asked}; the request failed. The last offer tried was {where} ({reason}).').classes(
                'lr-trace-reason'
            )
        else:
            ui.icon('alt_route', size='20px').classes('text-green-800 shrink-0')
            ui.label(f'{asked}; picked {where}: {reason}.').classes('lr-trace-reason')


def _failed_outcome(candidate: dict[str, Any], attempts: list[dict[str, Any]]) -> str | None:
    """In a failed generation, the outcome of an offer left 'picked' whose last attempt did not answer."""
    if candidate.get('status') != 'picked':
        return None
    tried = [a for a in attempts if _same_offer(a, candidate)]
    outcome = tried[-1].get('outcome') if tried else None
    if outcome == OK:
        return None
    return outcome if isinstance(outcome, str) else 'no answer'


def _same_offer(attempt: dict[str, Any], candidate: dict[str, Any]) -> bool:
    keys = ('provider', 'region') + (('model',) if 'model' in attempt else ())
    return all(attempt.get(k) == candidate.get(k) for k in keys)


def _phone_list(rows: list[dict[str, Any]]) -> None:
    with ui.column().classes('w-full gap-0 md:hidden lr-trace-phone'):
        for row in rows:
            with ui.row().classes('w-full flex-nowrap items-start gap-2 py-2 border-t border-slate-200'):
                ui.icon(row['icon'], size='18px').classes(row['colour'] + ' shrink-0 mt-1')
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(f'{row["provider"]} · {row["region"]}').classes('text-sm font-medium')
                    ui.label(row['model']).classes('text-xs lr-muted')
                    ui.label(f'USD {row["price"]} per 1M · {row["carbon"]} g CO2e per 1k · {row["latency"]}').classes(
                        'text-xs lr-muted'
                    )
                    ui.label(row['note']).classes('text-xs')


def _row(candidate: dict[str, Any], timezone: str, locale: str, failed_outcome: str | None = None) -> dict[str, Any]:
    status = _text(candidate.get('status', 'considered'))
    excluded = candidate.get('excluded')
    if failed_outcome is not None:
        status, excluded = 'failed', excluded or failed_outcome
    icon, colour, word = STATUS_STYLE.get(status, STATUS_STYLE['considered'])
    note = f'{word}: {_why(status, excluded, candidate, timezone)}' if excluded else word
    provider, model, region = (_text(candidate.get(f)) for f in ('provider', 'model', 'region'))
    return {
        'key': f'{provider}/{model}/{region}',
        'icon': icon,
        'colour': colour,
        'status': status,
        'provider': provider,
        'model': model,
        'region': region,
        'price': f'{_price(candidate.get("input_usd_per_mtok"), locale)} / '
        f'{_price(candidate.get("output_usd_per_mtok"), locale)}',
        'carbon': _number(candidate.get('carbon_g_per_1k_tokens', 0), partial(fixed_text, decimals=3, locale=locale)),
        'latency': f'{_number(candidate.get("latency_ms", 0), partial(count_text, locale=locale))} ms',
        'note': note,
    }


def _why(status: str, excluded: Any, candidate: dict[str, Any], timezone: str) -> str:
    """Why a candidate was left out, or how it failed, in words."""
    if status == 'failed':
        return outcome_words(excluded)
    words = REASONS.get(_text(excluded), _text(excluded))
    if excluded == 'cooling_off' and (until := _until(candidate.get('cooling_off_until'), timezone)):
        words += f' (until {until})'
    return words


def _until(value: Any, timezone: str) -> str | None:
    """An ISO-8601 UTC time as HH:MM in the account's zone, with the zone; None if it is not such a time."""
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
    if moment is None:
        return None
    return f'{local(moment if moment.tzinfo else moment.replace(tzinfo=UTC), timezone):%H:%M} {timezone}'


def _items(value: Any) -> list[dict[str, Any]]:
    """The objects of a list in a trace (anything else in it is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return '?' if value is None else str(value)[:200]


def _number(value: Any, written: Callable[[Any], str]) -> str:
    """A number of the trace as `written` writes it; anything else (an outside router's trace) as text."""
    try:
        return written(value) if isinstance(value, int | float) and not isinstance(value, bool) else _text(value)
    except (ValueError, ArithmeticError):  # NaN or infinity in a trace sent from outside
        return _text(value)


def _price(value: Any, locale: str) -> str:
    """A price of the trace (a decimal written as text) in the account's separators; anything else as text."""
    try:
        price = Decimal(value) if isinstance(value, str | int) and not isinstance(value, bool) else None
    except InvalidOperation:
        price = None
    return decimal_text(price, locale) if price is not None and price.is_finite() else _text(value)


def _policy_words(trace: dict[str, Any]) -> str:
    strategy = str(trace.get('strategy', 'unknown')).replace('_', ' ')
    extra = ''
    if trace.get('prefer_region'):
        extra = f', preferring {trace["prefer_region"]}'
    if trace.get('fixed_provider'):
        extra = f', fixed to {trace["fixed_provider"]}'
    count = len(_items(trace.get('candidates')))
    return f'Strategy: {strategy}{extra}. {count} candidate offer{"s" if count != 1 else ""} considered.'
