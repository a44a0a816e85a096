"""The what-if panel: past requests replayed under a draft policy, before and after, with the largest moves."""

from __future__ import annotations

from collections.abc import Callable

import plotly.graph_objects as go
from nicegui import ui

from components.charts import plotly_chart
from services import locales
from services.catalog import display_name
from services.models import Account
from services.money import format_money
from services.routing.whatif import Preview
from services.units import carbon_text, carbon_unit, count_text, energy_text, energy_unit, fixed_text

CSS = """
.lr-metric { border: 1px solid #eaecf0; border-radius: 10px; padding: 8px 12px; min-width: 0; display: grid;
  grid-template-columns: 4.5rem minmax(0, 1fr) auto; column-gap: 8px; align-items: center;
  grid-template-areas: "label after change" "label before change"; }
.lr-metric-label { grid-area: label; } .lr-metric-change { grid-area: change; justify-self: end; }
.lr-metric-after { grid-area: after; } .lr-metric-before { grid-area: before; }
@media (min-width: 480px) { .lr-metric { grid-template-columns: minmax(0, 1fr) auto; row-gap: 0;
  grid-template-areas: "label change" "after after" "before before"; } }
.lr-change { display: inline-block; padding: 0 8px; border-radius: 9999px; font-size: 0.8rem; font-weight: 600;
  line-height: 1.4rem; white-space: nowrap; font-variant-numeric: tabular-nums; }
.lr-change-down { background: #dcfae6; color: #067647; }
.lr-change-up { background: #fee4e2; color: #b42318; }
.lr-change-same { background: #eaecf0; color: #475467; }
.lr-move { border-top: 1px solid #eaecf0; padding: 6px 0; }
.lr-stale { background: #fff7e0; border: 1px solid #f1d48a; border-radius: 8px; }
"""
METRICS = (('cost_micros', 'Cost'), ('energy_wh', 'Energy'), ('carbon_g', 'Carbon'))
DAYS = {7: 'Last 7 days', 30: 'Last 30 days'}
SHOWN_MOVES = 6
BEFORE_COLOUR, LOWER_COLOUR, HIGHER_COLOUR = '#98a2b3', '#2e8b62', '#d9534f'


def change_text(percent: float, loc: str = locales.DEFAULT) -> str:
    """+22.5 % / −64.6 % (a real minus sign) / ±0 % when the change rounds to nothing."""
    if round(percent, 1) == 0:
        return '±0 %'
    return f'{"+" if percent > 0 else "−"}{fixed_text(abs(percent), 1, loc)} %'


def change_class(percent: float) -> str:
    if round(percent, 1) == 0:
        return 'lr-change-same'
    return 'lr-change-down' if percent < 0 else 'lr-change-up'


def metric_text(account: Account, attribute: str, value: float, *, beside: float | None = None) -> str:
    """`beside`: the figure shown next to this one; both then take one unit (never 'mg' beside 'g')."""
    loc = locales.of(account)
    if attribute == 'cost_micros':
        return format_money(int(value), account.currency, locale=loc)
    pair = [value] if beside is None else [value, beside]
    if attribute == 'energy_wh':
        return energy_text(value, energy_unit(pair), locale=loc)
    return carbon_text(value, carbon_unit(pair), locale=loc)


class WhatIf:
    """A panel that shows one Preview at a time; `show` replaces what it shows."""

    def __init__(self, account: Account, *, on_days: Callable[[], bool] | None = None, compact: bool = False):
        """`on_days` runs a new preview when the window changes; when it returns False (a field is invalid), the
        toggle goes back to the window on show."""
        self.account = account
        self.loc = locales.of(account)
        self.compact = compact
        self.shown_days = 7
        ui.add_css(CSS)
        with ui.row().classes('w-full items-center justify-between gap-2'):
            self.caption = ui.label().classes('text-sm lr-muted min-w-0').mark('whatif-caption')
            self.days = ui.toggle(DAYS, value=7).props('dense no-caps unelevated toggle-color=primary')
            self.days.classes('shrink-0').mark('whatif-days')
            if on_days is not None:
                self.days.on_value_change(lambda: on_days() or self.days.set_value(self.shown_days))
        self.stale = ui.row().classes('lr-stale w-full items-center gap-2 px-3 py-2 flex-nowrap text-sm')
        with self.stale:
            ui.icon('update', size='18px').classes('text-amber-800 shrink-0')
            ui.label('The form has changed since this preview. Click Preview to update it.').classes('text-amber-900')
        self.stale.set_visibility(False)
        self.body = ui.column().classes('w-full gap-3').mark('whatif')

    def mark_stale(self) -> None:
        self.stale.set_visibility(bool(self.body.default_slot.children))

    def show(self, preview: Preview, caption: str) -> None:
        self.caption.set_text(caption)
        self.shown_days = preview.days
        self.stale.set_visibility(False)
        self.body.clear()
        with self.body:
            if not preview.before.requests:
                ui.label(
                    f'No completed requests in the {DAYS[preview.days].lower()} to replay yet. Once apps call '
                    'lowrouter, this shows what a change would have done to them.'
                ).classes('text-sm lr-muted').mark('whatif-empty')
                return
            self._summary(preview)
            with ui.element('div').classes('w-full grid grid-cols-1 min-[480px]:grid-cols-3 gap-2'):
                for attribute, label in METRICS:
                    self._metric(preview, attribute, label)
            if preview.unroutable_requests:
                self._unroutable(preview)
            if not self.compact:
                plotly_chart(before_after_figure(preview)).classes('w-full lr-whatif-chart').mark('whatif-chart')
                with ui.row().classes('w-full justify-center gap-x-4 gap-y-1 text-xs lr-muted -mt-2'):
                    for colour, text in ((BEFORE_COLOUR, 'Before, as routed (100 %)'), (LOWER_COLOUR, 'After: lower'),
                                         (HIGHER_COLOUR, 'After: higher')):  # fmt: skip
                        with ui.row().classes('items-center gap-1 flex-nowrap'):
                            ui.element('span').classes('inline-block w-3 h-3 rounded-sm').style(f'background:{colour}')
                            ui.label(text)
            self._moves(preview)
            ui.label(
                'An estimate: each past request is routed again with these settings, priced at today’s list '
                'prices, with energy and carbon from the same eco method as the dashboard. Past failures and '
                'fallbacks are not replayed, so requests that fell back may show as moving.'
            ).classes('text-xs lr-muted').mark('whatif-note')

    def _summary(self, preview: Preview) -> None:
        refused = preview.unroutable_requests
        with ui.row().classes('w-full items-baseline gap-x-4 gap-y-1 text-sm'):
            ui.label(f'{count_text(preview.before.requests, self.loc)} requests replayed').classes('font-medium').mark(
                'whatif-requests'
            )
            colour = 'text-red-800 font-medium' if refused else 'lr-muted'
            ui.label(headline(preview, self.loc)).classes(colour).mark('whatif-headline')

    def _metric(self, preview: Preview, attribute: str, label: str) -> None:
        percent = preview.change(attribute)
        before, after = getattr(preview.before, attribute), getattr(preview.after, attribute)
        with ui.element('div').classes('lr-metric').mark(f'metric-{attribute}'):
            ui.label(label).classes('lr-metric-label text-xs font-semibold uppercase tracking-wide lr-muted')
            ui.label(change_text(percent, self.loc)).classes(
                f'lr-metric-change lr-change {change_class(percent)}'
            ).mark(f'change-{attribute}')
            ui.label(metric_text(self.account, attribute, after, beside=before)).classes(
                'lr-metric-after text-lg font-semibold tabular-nums text-slate-900 whitespace-nowrap'
            ).mark(f'after-{attribute}')
            ui.label(f'was {metric_text(self.account, attribute, before, beside=after)}').classes(
                'lr-metric-before text-xs lr-muted tabular-nums whitespace-nowrap'
            )

    def _unroutable(self, preview: Preview) -> None:
        count = preview.unroutable_requests
        with ui.row().classes('w-full items-start gap-2 flex-nowrap text-sm text-amber-900').mark('whatif-unroutable'):
            ui.icon('warning', size='18px').classes('text-amber-700 shrink-0 pt-[2px]')
            ui.label(
                f'{count_text(count, self.loc)} {"request" if count == 1 else "requests"} could not be routed '
                'with these settings (for '
                'example a provider that does not serve the model, or caps nothing meets): they would be refused. '
                'They are counted at what they really cost.'
            )

    def _moves(self, preview: Preview) -> None:
        if not preview.moves:
            return
        with ui.column().classes('w-full gap-0').mark('whatif-moves'):
            with ui.row().classes('w-full justify-between text-xs font-semibold lr-muted pb-1'):
                ui.label('Largest moves: from → to, model')
                ui.label('requests')
            shown = preview.moves[:SHOWN_MOVES] if not self.compact else preview.moves[:3]
            for move in shown:
                with ui.row().classes('lr-move w-full items-start justify-between gap-3 flex-nowrap text-sm'):
                    with ui.column().classes('gap-0 min-w-0'):
                        with ui.row().classes('items-center gap-x-1 gap-y-0'):
                            ui.label(move['from']).classes('whitespace-nowrap lr-muted')
                            ui.icon('arrow_forward', size='14px').classes('lr-muted')
                            ui.label(move['to']).classes('whitespace-nowrap font-medium')
                        if move['from_model'] == move['to_model']:
                            ui.label(display_name(move['to_model'])).classes('text-xs lr-muted')
                        else:
                            ui.label(f'{display_name(move["from_model"])} → {display_name(move["to_model"])}').classes(
                                'text-xs text-amber-800 font-medium'
                            )
                    ui.label(count_text(move['requests'], self.loc)).classes('tabular-nums shrink-0')
            rest = preview.moves[len(shown) :]
            if rest:
                count = sum(m['requests'] for m in rest)
                ui.label(f'and {len(rest)} smaller moves ({count_text(count, self.loc)} requests)').classes(
                    'text-xs lr-muted pt-1'
                )


def share_text(part: int, whole: int) -> str:
    """A share in whole percent: '56 %'; '<1 %' for a few requests among many, so a refusal never reads '0 %'."""
    percent = 100 * part / whole if whole else 0.0
    if 0 < percent < 0.5:
        return '<1 %'
    if 99.5 <= percent < 100:
        return '>99 %'
    return f'{percent:.0f} %'


def headline(preview: Preview, loc: str = locales.DEFAULT) -> str:
    """What the settings would do to past requests: refused first, then moved, each as a share and a count."""
    total, refused, moved = preview.before.requests, preview.unroutable_requests, preview.moved_requests
    refusals = f'{share_text(refused, total)} of past requests ({count_text(refused, loc)}) would be refused'
    moves = f'{share_text(moved, total)} ({count_text(moved, loc)}) would move to another offer'
    if refused and moved:
        return f'{refusals}; {moves}'
    if refused:
        return f'{refusals}; the rest would run as before'
    if moved:
        return f'{share_text(moved, total)} of past requests ({count_text(moved, loc)}) would move to another offer'
    return 'No past request would be refused or move to another offer'


def refusal_text(refused: int, total: int, days: int, *, key_name: str | None = None) -> str:
    """The confirmation's sentence: the share of past requests (all, or one key's) the settings would have refused."""
    whose = 'your requests' if key_name is None else f'the requests made with “{key_name}”'
    settings = 'these settings' if key_name is None else 'this override'
    return (
        f'With {settings}, {share_text(refused, total)} of {whose} in the {DAYS[days].lower()} '
        f'({refused:,} of {total:,}) would have been refused: no offer meets the settings for them.'
    )


def before_after_figure(preview: Preview) -> go.Figure:
    """Cost, energy and carbon after, as a percentage of before (before is 100 %)."""
    labels = [label for _, label in METRICS]
    after = [100 + preview.change(attribute) for attribute, _ in METRICS]
    figure = go.Figure(
        [
            go.Bar(name='Before (as routed)', x=labels, y=[100] * 3, marker_color=BEFORE_COLOUR,
                   hovertemplate='%{x} before: 100 %<extra></extra>'),
            go.Bar(name='After (what-if)', x=labels, y=after, text=[change_text(a - 100) for a in after],
                   textposition='outside', cliponaxis=False, constraintext='none',
                   marker_color=[LOWER_COLOUR if a <= 100 else HIGHER_COLOUR for a in after],
                   hovertemplate='%{x} after: %{y:.1f} % of before<extra></extra>'),
        ]
    )  # fmt: skip
    top = max([100, *after])
    figure.update_layout(
        title={'text': 'Before and after', 'x': 0, 'xanchor': 'left', 'font': {'size': 13}},
        height=230,
        margin={'l': 4, 'r': 4, 't': 32, 'b': 4},
        barmode='group',
        bargap=0.35,
        paper_bgcolor='rgba(0,0,0,0)',
        plot_bgcolor='rgba(0,0,0,0)',
        font={'family': 'Roboto, sans-serif', 'size': 12, 'color': '#344054'},
        showlegend=False,
        yaxis={
            'title': {'text': '% of before', 'standoff': 4},
            'ticksuffix': ' %',
            'range': [0, top * 1.18],
            'gridcolor': '#e4e7ec',
            'fixedrange': True,
            'automargin': True,
        },
        xaxis={'fixedrange': True},
    )
    return figure
