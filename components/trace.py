"""The routing trace of one generation: every candidate, what was excluded and why, what was picked."""

from __future__ import annotations

from typing import Any

from nicegui import ui

from components.widgets import card
from services.trace_limits import displayable

STATUS_STYLE = {
    'picked': ('check_circle', 'text-green-700', 'picked'),
    'considered': ('radio_button_unchecked', 'text-slate-500', 'considered'),
    'excluded': ('block', 'text-slate-400', 'excluded'),
    'failed': ('error', 'text-red-700', 'failed'),
}
REASONS = {
    'blocked_provider': 'provider blocked by policy',
    'not_fixed_provider': 'not the fixed provider',
    'over_max_price': 'over the maximum price',
    'over_max_latency': 'over the maximum latency',
    'region_not_allowed': 'region not allowed',
    'not_configured': 'provider not configured',
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


def routing_trace_card(trace: dict[str, Any] | None) -> None:
    """Draws any stored trace: one sent by an outside router may have any shape, and is shown as far as it fits."""
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
        picked = _mapping(trace.get('picked'))
        with ui.row().classes('items-center gap-2 text-sm'):
            ui.icon('alt_route', size='20px').classes('text-green-800')
            ui.label(
                f'Asked for {trace.get("requested_model", "?")}; picked {picked.get("provider", "?")} in '
                f'{picked.get("region", "?")}: {trace.get("reason", "no reason recorded")}.'
            ).classes('lr-trace-reason')
        ui.label(_policy_words(trace)).classes('text-xs lr-muted')
        rows = [_row(c) for c in _items(trace.get('candidates'))]
        table = ui.table(columns=COLUMNS, rows=rows, row_key='key').props(
            'flat dense hide-pagination :pagination="{rowsPerPage: 0}" wrap-cells'
        )
        table.classes('w-full lr-trace-table max-md:hidden')
        table.add_slot(
            'body-cell-status',
            '<q-td :props="props"><q-icon :name="props.row.icon" :class="props.row.colour" size="18px" /></q-td>',
        )
        _phone_list(rows)
        attempts = _items(trace.get('attempts'))
        if len(attempts) > 1:
            ui.label('Attempts').classes('text-sm font-medium pt-2')
            for number, attempt in enumerate(attempts, start=1):
                where = f'{attempt.get("provider", "?")} in {attempt.get("region", "?")}'
                ui.label(f'{number}. {where}: {attempt.get("outcome", "?")}').classes('text-sm lr-attempt')


def _phone_list(rows: list[dict[str, Any]]) -> None:
    with ui.column().classes('w-full gap-0 md:hidden lr-trace-phone'):
        for row in rows:
            with ui.row().classes('w-full flex-nowrap items-start gap-2 py-2 border-t'):
                ui.icon(row['icon'], size='18px').classes(row['colour'] + ' shrink-0 mt-1')
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(f'{row["provider"]} · {row["region"]}').classes('text-sm font-medium')
                    ui.label(row['model']).classes('text-xs lr-muted')
                    ui.label(f'USD {row["price"]} per 1M · {row["carbon"]} g CO2e per 1k · {row["latency"]}').classes(
                        'text-xs lr-muted'
                    )
                    ui.label(row['note']).classes('text-xs')


def _row(candidate: dict[str, Any]) -> dict[str, Any]:
    status = _text(candidate.get('status', 'considered'))
    icon, colour, word = STATUS_STYLE.get(status, STATUS_STYLE['considered'])
    excluded = candidate.get('excluded')
    note = f'{word}: {REASONS.get(_text(excluded), _text(excluded))}' if excluded else word
    provider, model, region = (_text(candidate.get(f)) for f in ('provider', 'model', 'region'))
    return {
        'key': f'{provider}/{model}/{region}',
        'icon': icon,
        'colour': colour,
        'status': status,
        'provider': provider,
        'model': model,
        'region': region,
        'price': f'{_text(candidate.get("input_usd_per_mtok"))} / {_text(candidate.get("output_usd_per_mtok"))}',
        'carbon': _number(candidate.get('carbon_g_per_1k_tokens', 0), '.3f'),
        'latency': f'{_number(candidate.get("latency_ms", 0), ",")} ms',
        'note': note,
    }


def _items(value: Any) -> list[dict[str, Any]]:
    """The objects of a list in a trace (anything else in it is skipped)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return '?' if value is None else str(value)[:200]


def _number(value: Any, spec: str) -> str:
    try:
        return format(value, spec) if isinstance(value, int | float) and not isinstance(value, bool) else _text(value)
    except ValueError:
        return _text(value)


def _policy_words(trace: dict[str, Any]) -> str:
    strategy = str(trace.get('strategy', 'unknown')).replace('_', ' ')
    extra = ''
    if trace.get('prefer_region'):
        extra = f', preferring {trace["prefer_region"]}'
    if trace.get('fixed_provider'):
        extra = f', fixed to {trace["fixed_provider"]}'
    count = len(_items(trace.get('candidates')))
    return f'Strategy: {strategy}{extra}. {count} candidate offer{"s" if count != 1 else ""} considered.'
