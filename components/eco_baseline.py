"""Settings → Eco baseline: the model the dashboard's eco panel compares usage with."""

from __future__ import annotations

from html import escape

from nicegui import ui

from components.form_errors import show_error
from components.safe import set_error
from components.saving import save
from components.widgets import card
from services.account.accounts import current_account
from services.account.settings import SettingError, baseline_choices, set_eco_baseline
from services.units import energy_number, energy_unit

CSS = """
.lr-baseline-list { display: flex; flex-direction: column; }
.lr-baseline-item { display: flex; flex-direction: column; gap: 2px; padding: 8px 0; border-top: 1px solid #eaecf0;
  font-variant-numeric: tabular-nums; }
.lr-baseline-item > span { display: flex; justify-content: space-between; align-items: baseline; gap: 8px; }
.lr-baseline-item b { font-weight: 500; font-size: 0.875rem; color: #1d2939; }
.lr-baseline-item .lr-baseline-value { font-size: 0.875rem; font-weight: 600; color: #1d2939; white-space: nowrap; }
.lr-baseline-item small { font-size: 0.75rem; color: #667085; }
.lr-baseline-item small + small { white-space: nowrap; flex-shrink: 0; }
.lr-baseline-select .q-field__native > span.ellipsis { white-space: normal; overflow: visible; }
.lr-baseline-select .q-field__control { height: auto; min-height: 56px; }
"""


def eco_baseline_section(current: str) -> None:
    choices = baseline_choices()
    unit = energy_unit(x for c in choices for x in (c['energy_wh'].low, c['energy_wh'].high))
    rows = [_row(c, unit) for c in choices]
    ui.add_css(CSS)
    with card('Eco baseline').props('id=eco-baseline').classes('lr-eco-baseline'):
        ui.label(
            'The dashboard compares your last 30 days with the same tokens served by this model in the same '
            'regions. Pick the model you would otherwise have used.'
        ).classes('text-sm lr-muted')
        with ui.row().classes('w-full items-end gap-3'):
            picker = (
                ui.select({r['id']: _option_label(r, unit) for r in rows}, value=current, label='Baseline model')
                .mark('eco-baseline-select')
                .props('outlined')  # no search box: its one-line input would cut the long label on a phone
                .classes('grow min-w-[16rem] max-sm:min-w-0 max-sm:w-full lr-baseline-select')
            )
            button = ui.button('Save baseline', on_click=lambda: _save(picker, button)).props('no-caps')
            button.mark('save-baseline')
        ui.label(f'Energy per 1 000 output tokens, in {unit}').classes('text-sm font-medium text-slate-700 pt-2')
        ui.table(columns=_columns(unit), rows=rows, row_key='id').props(
            'flat dense hide-pagination :pagination="{rowsPerPage: 0}"'
        ).classes('w-full max-md:hidden').mark('baseline-table')
        _phone_list(rows, unit)
        ui.label(
            f'Output tokens only (prompt tokens add to it), at a typical datacentre (PUE {choices[0]["pue"]:g}). '
            'Central: the estimate calibrated to published measurements. Range: from the lower to the higher of '
            'that and EcoLogits’ own model, over every size the model may have.'
        ).classes('text-xs lr-muted')


def _columns(unit: str) -> list[dict]:
    return [
        {'name': 'name', 'label': 'Model', 'field': 'name', 'align': 'left'},
        {'name': 'vendor', 'label': 'Vendor', 'field': 'vendor', 'align': 'left'},
        {'name': 'energy', 'label': f'Central ({unit})', 'field': 'energy', 'align': 'right'},
        {'name': 'range', 'label': f'Range ({unit})', 'field': 'range', 'align': 'right'},
        {'name': 'params', 'label': 'Active parameters', 'field': 'params', 'align': 'right'},
        {'name': 'status', 'label': 'Size', 'field': 'status', 'align': 'left'},
    ]


def _row(choice: dict, unit: str) -> dict:
    energy = choice['energy_wh']
    return {
        'id': choice['id'],
        'name': choice['name'],
        'vendor': choice['vendor'],
        'energy': energy_number(energy.value, unit),
        'range': f'{energy_number(energy.low, unit)}–{energy_number(energy.high, unit)}',
        'params': _params_text(choice['active_params_b']),
        'status': 'published' if choice['params_status'] == 'verified' else 'estimated',
    }


def _params_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f'{low:g} B' if low == high else f'{low:g}–{high:g} B'


def _option_label(row: dict, unit: str) -> str:
    return f'{row["name"]} · {row["energy"]} {unit} (range {row["range"]} {unit}) · {row["status"]} size'


def _phone_list(rows: list[dict], unit: str) -> None:
    """Under 768 px, two short lines per model instead of a six-column table (every figure still shown)."""
    items = ''.join(
        '<div class="lr-baseline-item">'
        f'<span><b>{escape(r["name"])}</b><span class="lr-baseline-value">{escape(r["energy"])} {escape(unit)}'
        '</span></span>'
        f'<span><small>{escape(r["vendor"])}</small><small>range {escape(r["range"])} {escape(unit)}</small></span>'
        f'<span><small>{escape(r["params"])} active parameters, {escape(r["status"])} size</small></span></div>'
        for r in rows
    )
    ui.html(f'<div class="lr-baseline-list">{items}</div>', sanitize=False).classes('w-full md:hidden').mark(
        'baseline-list'
    )


async def _save(picker: ui.select, button: ui.button) -> None:
    model = picker.value or ''
    try:
        stored, _ = await save(
            lambda session: set_eco_baseline(session, current_account(session), model), button=button
        )
    except SettingError as error:
        show_error(error, fallback=picker)
        return
    if not stored:  # save() said so; the picker keeps its choice
        return
    set_error(picker, None)
    ui.notify('Baseline saved: the dashboard now compares with it', type='positive')
