"""/welcome: onboarding for an installation without an account."""

from __future__ import annotations

from nicegui import ui

from components.form_errors import show_error
from components.locale import browser_locale
from components.safe import set_error
from components.saving import save
from components.shell import frame
from services.account.accounts import AccountError, create_account, current_account, time_zones
from services.catalog import get_catalog
from services.db import Session


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
            button = ui.button('Create account', on_click=lambda: _create(name, currency, zone, button))
            button.props('no-caps').classes('self-end').mark('create-account')


async def _create(name: ui.input, currency: ui.select, zone: ui.select, button: ui.button) -> None:
    fields = {'name': name, 'currency': currency, 'timezone': zone}
    for element in fields.values():
        set_error(element, None)
    values = {field: element.value or '' for field, element in fields.items()}
    values['locale'] = browser_locale()  # numbers read as in the browser's language; Settings can change it
    try:
        stored, _ = await save(lambda session: _first_account(session, values), button=button)
    except AccountError as error:
        show_error(error, fields)
        return
    if stored:  # otherwise save() said so, and the form keeps what was typed
        ui.navigate.to('/dashboard')


def _first_account(session: Session, values: dict[str, str | None]) -> None:
    """The account, unless one was created meanwhile (another tab): there is one account."""
    if current_account(session) is None:
        create_account(session, **values)
