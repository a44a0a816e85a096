"""Settings → Profile: name, e-mail, currency, time zone and locale."""

from __future__ import annotations

from nicegui import ui

from components.form_errors import show_error
from components.locale import browser_locale
from components.safe import set_error
from components.saving import save
from components.widgets import card
from services import db, locales
from services.account.accounts import current_account, time_zones
from services.account.settings import SettingError, money_has_moved, update_profile
from services.catalog import get_catalog
from services.models import Account
from services.timeutil import format_local


def profile_section(account: Account) -> None:
    with db.read_scope() as session:
        locked = money_has_moved(session, account)
    with card('Profile').props('id=profile').classes('lr-profile'):
        with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 gap-3 w-full'):
            fields = {
                'name': ui.input('Account name', value=account.name).props('outlined'),
                'email': ui.input('E-mail (receipts, invoices and alerts)', value=account.email or '').props(
                    'outlined type=email'
                ),
                'currency': ui.select(get_catalog().currencies, value=account.currency, label='Currency').props(
                    'outlined' + (' readonly' if locked else '')
                ),
                'timezone': ui.select(time_zones(), value=account.timezone, label='Time zone', with_input=True).props(
                    'outlined'
                ),
                'locale': ui.select(
                    _locale_options(account), value=account.locale or '', label='Number format', with_input=True
                )
                .props('outlined')
                .classes('lr-locale-select')
                .mark('locale'),
            }
        if locked:
            ui.label(
                f'The currency stays {account.currency}: this account already has top-ups or usage in it, and '
                'receipts and invoices must not change. A new account can use another currency.'
            ).classes('text-xs lr-muted')
        hint = (
            'Number format sets the separators and where the currency symbol goes: on these pages, in PDFs and '
            'in e-mails.'
        )
        browser = browser_locale()
        if browser and not account.locale and browser != locales.DEFAULT:
            name = f'{locales.locale_name(browser)} ({locales.sample(browser)})'
            hint += f' Your browser reads {name}: pick it above to use it.'
        ui.label(hint).classes('text-xs lr-muted').mark('locale-hint')
        clock = ui.label().classes('text-xs lr-muted')
        _show_clock(clock, account.timezone)
        fields['timezone'].on_value_change(lambda e: _show_clock(clock, e.value))
        button = ui.button('Save profile', on_click=lambda: _save(fields, button)).props('no-caps').classes('self-end')
        button.mark('save-profile')


def _locale_options(account: Account) -> dict[str, str]:
    default = f'{locales.locale_name(locales.DEFAULT)} · {locales.sample(locales.DEFAULT)}'
    options = {'': f'Not chosen: {default}', **locales.choices(account.locale)}
    browser = browser_locale()
    if browser and browser not in options:
        options[browser] = f'{locales.locale_name(browser)} · {locales.sample(browser)}'
    return options


def _show_clock(label: ui.label, zone: str | None) -> None:
    from datetime import UTC, datetime

    if zone:
        now = format_local(datetime.now(UTC), zone)
        label.text = f'Local time there now: {now}. "Today" and "this month" start at its midnight.'


async def _save(fields: dict[str, ui.element], button: ui.button) -> None:
    for element in fields.values():
        set_error(element, None)
    values = {name: fields[name].value or '' for name in ('name', 'currency', 'timezone', 'locale')}
    values['email'] = fields['email'].value
    try:
        stored, _ = await save(
            lambda session: update_profile(session, current_account(session), **values), button=button
        )
    except SettingError as error:
        show_error(error, fields, fallback=fields['name'])
        return
    if not stored:  # save() said so; the fields keep what was typed
        return
    ui.notify('Profile saved', type='positive')
