"""/welcome: onboarding for an installation without an account."""

from __future__ import annotations

from nicegui import ui

from components.shell import frame
from services import db
from services.accounts import AccountError, create_account, current_account, time_zones
from services.catalog import get_catalog


@ui.page('/welcome')
def welcome_page() -> None:
    with frame('Welcome', active='') as account:
        if account is not None:
            ui.navigate.to('/dashboard')
            return
        with ui.card().classes('lr-card w-full max-w-lg mx-auto p-6 gap-4'):
            ui.label('Welcome to lowrouter').classes('text-2xl font-semibold')
            ui.label(
                'Three details and your dashboard is ready. Your currency is used for every price and '
                'invoice; your time zone decides when "today" and "this month" begin.'
            ).classes('lr-muted')
            name = ui.input('Account name', placeholder='e.g. Northwind Robotics').props('outlined').classes('w-full')
            currency = (
                ui.select(get_catalog().currencies, value='USD', label='Currency').props('outlined').classes('w-full')
            )
            zone = (
                ui.select(time_zones(), value='UTC', label='Time zone', with_input=True)
                .props('outlined')
                .classes('w-full')
            )
            ui.button('Create account', on_click=lambda: _create(name, currency, zone)).props('no-caps').classes(
                'self-end'
            )


def _create(name: ui.input, currency: ui.select, zone: ui.select) -> None:
    fields = {'name': name, 'currency': currency, 'timezone': zone}
    for element in fields.values():
        element.props(remove='error error-message')
    try:
        with db.session_scope() as session:
            if current_account(session) is None:
                create_account(session, name=name.value or '', currency=currency.value or '', timezone=zone.value or '')
    except AccountError as error:
        fields[error.field].props(f'error error-message="{error.message}"')
        return
    ui.navigate.to('/dashboard')
