"""Settings → Notifications: what lowrouter tells you about, the low-balance threshold, and where e-mail goes."""

from __future__ import annotations

from babel.numbers import get_currency_precision
from nicegui import ui

from components.form_errors import show_error
from components.safe import set_props
from components.saving import save
from components.widgets import card
from services.models import Account
from services.money import currency_symbol, to_decimal
from services.notifications.inbox import PrefsError, prefs, update_prefs
from services.notifications.mailer import smtp_settings

TOGGLES = {
    'low_balance': ('Low balance', 'When the balance drops below the threshold; once each time it does.'),
    'receipts_email': ('Receipts by e-mail', 'The PDF receipt of each top-up.'),
    'invoice_email': ('Invoices by e-mail', 'The PDF invoice when a month closes.'),
    'weekly_summary': ('Weekly summary', "Every Monday: last week's usage, cost, top models and carbon vs. baseline."),
    'key_limit_alerts': ('Key limit alerts', 'When a key reaches 80 % and 100 % of its monthly limit.'),
}
CSS = """
.lr-pref { padding: 8px 0 10px; border-top: 1px solid #eaecf0; }
.lr-pref:first-child { border-top: none; }
.lr-pref-hint { margin-left: 56px; }
.lr-email-line { border-radius: 8px; padding: 10px 12px; font-size: 0.875rem; align-items: flex-start; }
.lr-email-off { background: #fff7e0; color: #7a4d00; }
.lr-email-on { background: #eef5f1; color: #17563e; }
"""


def notifications_section(account: Account) -> None:
    with card('Notifications').props('id=notifications').classes('lr-notifications'):
        NotificationsForm(account)


def email_status(account: Account) -> tuple[bool, str]:
    """(whether e-mail goes out, the sentence saying so)."""
    settings = smtp_settings()
    if settings is None:
        return False, (
            'E-mail is not configured: notifications appear in the bell only. Set LOWROUTER_SMTP_HOST (and '
            'LOWROUTER_SMTP_USER, _PASSWORD and _FROM if your mail server needs them) where lowrouter runs to get '
            'them by e-mail too.'
        )
    if account.is_demo:
        return False, 'This is the demo account: its notifications appear in the bell only, never by e-mail.'
    if not account.email:
        return False, (
            'E-mail is configured, but this account has no e-mail address: add one in Profile above. Until then '
            'notifications appear in the bell only.'
        )
    return True, f'E-mails go to {account.email} (sent through {settings.host}). Everything also appears in the bell.'


def threshold_text(account: Account) -> str:
    digits = get_currency_precision(account.currency)
    return f'{to_decimal(account.low_balance_threshold_micros):.{digits}f}'


class NotificationsForm:
    def __init__(self, account: Account) -> None:
        ui.add_css(CSS)
        self.account = account
        current = prefs(account)
        ui.label(
            'Choose what lowrouter tells you about. Notifications appear in the bell at the top of every page '
            'and, when e-mail is set up, in your inbox too.'
        ).classes('text-sm lr-muted')
        self.email_line()
        self.switches: dict[str, ui.switch] = {}
        with ui.column().classes('w-full gap-0'):
            for name, (label, hint) in TOGGLES.items():
                with ui.column().classes('lr-pref w-full gap-0'):
                    self.switches[name] = ui.switch(label, value=current[name]).mark(f'pref-{name}')
                    ui.label(hint).classes('lr-pref-hint text-xs lr-muted')
                    if name == 'low_balance':
                        self.threshold = (
                            ui.input('Alert below', value=threshold_text(account))
                            .props('outlined dense inputmode=decimal')
                            .classes('lr-pref-hint w-48 mt-2')
                            .mark('low-balance-threshold')
                        )
                        set_props(self.threshold, prefix=currency_symbol(account.currency), suffix=account.currency)
        self.button = ui.button('Save notifications', on_click=self.save).props('no-caps').classes('self-end')
        self.button.mark('save-notifications')

    @ui.refreshable_method
    def email_line(self) -> None:
        on, sentence = email_status(self.account)
        with ui.row().classes(f'lr-email-line w-full flex-nowrap gap-2 {"lr-email-on" if on else "lr-email-off"}'):
            ui.icon('mark_email_read' if on else 'mail_lock', size='20px').classes('shrink-0')
            ui.label(sentence).mark('email-status')

    async def save(self) -> None:
        self.threshold.error = None
        values = {name: bool(switch.value) for name, switch in self.switches.items()}
        threshold = self.threshold.value or ''
        try:
            stored, account = await save(
                lambda session: update_prefs(session, self.account, values, threshold), button=self.button
            )
        except PrefsError as error:
            show_error(error, {'low_balance_threshold': self.threshold}, capitalize=True)
            return
        if not stored:  # save() said so; the switches and the threshold keep what was set
            return
        self.account = account
        self.threshold.value = threshold_text(self.account)
        self.email_line.refresh()  # the address may have changed in Profile meanwhile
        ui.notify('Notification settings saved', type='positive')
