"""Settings → Eco baseline: the model the dashboard's eco panel compares usage with."""

from __future__ import annotations

from nicegui import ui

from components.safe import set_error
from components.saving import save
from components.widgets import card
from services.accounts import current_account
from services.settings import SettingError, baseline_choices, set_eco_baseline
from services.units import energy_text


def eco_baseline_section(current: str) -> None:
    choices = baseline_choices()
    options = {c['id']: _option_label(c) for c in choices}
    with card('Eco baseline').props('id=eco-baseline').classes('lr-eco-baseline'):
        ui.label(
            'The dashboard compares your last 30 days with the same tokens served by this model in the same '
            'regions. Pick the model you would otherwise have used.'
        ).classes('text-sm lr-muted')
        with ui.row().classes('w-full items-end gap-3'):
            picker = (
                ui.select(options, value=current, label='Baseline model', with_input=True)
                .mark('eco-baseline-select')
                .props('outlined')
                .classes('grow min-w-[16rem]')
            )
            button = ui.button('Save baseline', on_click=lambda: _save(picker, button)).props('no-caps')
            button.mark('save-baseline')
        columns = [
            {'name': 'name', 'label': 'Model', 'field': 'name', 'align': 'left'},
            {'name': 'vendor', 'label': 'Vendor', 'field': 'vendor', 'align': 'left', 'classes': 'max-sm:hidden',
             'headerClasses': 'max-sm:hidden'},
            {'name': 'energy', 'label': 'Wh per 1k output tokens', 'field': 'energy', 'align': 'right'},
            {'name': 'status', 'label': 'Size', 'field': 'status', 'align': 'left', 'classes': 'max-sm:hidden',
             'headerClasses': 'max-sm:hidden'},
        ]  # fmt: skip
        rows = [
            {
                'id': c['id'],
                'name': c['name'],
                'vendor': c['vendor'],
                'energy': energy_text(c['energy_wh'].value),
                'status': 'published' if c['params_status'] == 'verified' else 'estimated',
            }
            for c in choices
        ]
        ui.table(columns=columns, rows=rows, row_key='id').props(
            'flat dense hide-pagination :pagination="{rowsPerPage: 0}"'
        ).classes('w-full')
        ui.label('Energy at a typical datacentre (PUE 1.2); estimated sizes show their central value.').classes(
            'text-xs lr-muted'
        )


def _option_label(choice: dict) -> str:
    status = '' if choice['params_status'] == 'verified' else ', estimated size'
    return f'{choice["name"]} ({energy_text(choice["energy_wh"].value)} per 1k tokens{status})'


async def _save(picker: ui.select, button: ui.button) -> None:
    model = picker.value or ''
    try:
        stored, _ = await save(
            lambda session: set_eco_baseline(session, current_account(session), model), button=button
        )
    except SettingError as error:
        set_error(picker, error.message)
        return
    if not stored:  # save() said so; the picker keeps its choice
        return
    set_error(picker, None)
    ui.notify('Baseline saved: the dashboard now compares with it', type='positive')
