"""The top-up form of /credits: an amount (presets or typed), a payment method, and a confirmation that
credits the account once (an idempotency key per confirmation)."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable

from babel.numbers import NumberFormatError, get_currency_precision, parse_decimal
from nicegui import ui

from components import billing
from components.form_errors import show_error
from components.key_form import set_error
from components.saving import save
from components.widgets import card
from services import locales
from services.billing.ledger import MAX_TOP_UP, MIN_TOP_UP, PRESETS, TopUpError, top_up
from services.billing.payments import DEFAULT_GATEWAY
from services.db import Session
from services.models import Account
from services.money import MoneyError, currency_symbol, format_money, parse_amount
from services.notifications.outbox import email_receipt
from services.units import fixed_text


def read_amount(text: str, currency: str, loc: str = locales.DEFAULT) -> int:
    """'12.34' (or '12,34'), or the amount as the account's locale writes it ('1.234,56' in de_DE) -> micro-units;
    ValueError with a sentence for the field when it cannot be topped up."""
    text = text.strip().replace(' ', '').replace('\xa0', '').replace('\u202f', '')
    if re.fullmatch(r'\d+,\d{1,2}', text):  # a decimal comma, as many people type it
        text = text.replace(',', '.')
    elif loc != locales.DEFAULT:
        with contextlib.suppress(NumberFormatError):  # else read as a plain decimal below, or refused
            text = str(parse_decimal(text, locale=loc, strict=True))  # strict: '1.234,56', never '1.23,4'
    try:
        micros = parse_amount(text)
    except MoneyError:
        raise ValueError(f'Enter an amount like {fixed_text(50, 2, loc)}') from None
    digits = get_currency_precision(currency)
    if micros % 10 ** (6 - digits):
        raise ValueError(f'Use at most {digits} decimals' if digits else 'Enter a whole amount')
    if not MIN_TOP_UP <= micros <= MAX_TOP_UP:
        low, high = format_money(MIN_TOP_UP, currency, locale=loc), format_money(MAX_TOP_UP, currency, locale=loc)
        raise ValueError(f'A top-up is between {low} and {high}')
    return micros


class TopUpForm:
    """Amount (a preset or a custom one) and payment method, then a confirmation that credits exactly once."""

    def __init__(self, account: Account, on_done: Callable[[], None]) -> None:
        self.account = account
        self.on_done = on_done
        self.preset: int | None = PRESETS[1] if len(PRESETS) > 1 else None
        currency, loc = account.currency, locales.of(account)
        low, high = format_money(MIN_TOP_UP, currency, locale=loc), format_money(MAX_TOP_UP, currency, locale=loc)
        with card('Top up', subtitle=currency).classes('md:col-span-3') as box:
            self.box = box
            ui.label('Amount').classes('text-sm font-medium text-slate-700')
            self.presets: dict[int, ui.button] = {}
            with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-4 gap-2 w-full'):
                for micros in PRESETS:
                    self.presets[micros] = (
                        ui.button(format_money(micros, currency, locale=loc), on_click=lambda m=micros: self.pick(m))
                        .props('outline no-caps')
                        .classes('w-full')
                        .mark(f'preset-{micros}')
                    )
            with ui.element('div').classes('grid grid-cols-1 sm:grid-cols-2 gap-x-3 gap-y-1 w-full pt-1'):
                self.custom = (
                    ui.input('Custom amount', on_change=self._typed)
                    .props(
                        f'outlined dense inputmode=decimal prefix="{currency_symbol(currency)}" '
                        f'hint="Between {low} and {high}"'
                    )
                    .classes('w-full')
                    .mark('custom-amount')
                )
                methods = DEFAULT_GATEWAY.methods
                self.method = (
                    ui.select(methods, value=next(iter(methods)), label='Payment method')
                    .props('outlined dense options-dense')
                    .classes('w-full')
                    .mark('payment-method')
                )
            with ui.row().classes('w-full items-start gap-2 flex-nowrap text-sm lr-muted pt-1'):
                ui.icon('info', size='18px').classes('shrink-0 mt-px')
                ui.label(
                    'lowrouter does not charge cards here. A top-up records a payment you made outside lowrouter, '
                    'for example a bank transfer, and issues a receipt for it.'
                )
            with ui.row().classes('w-full justify-end pt-1'):
                ui.button('Top up', icon='add', on_click=self.review).props('unelevated no-caps').mark('top-up')
        self._show_preset()

    def pick(self, micros: int) -> None:
        self.preset = micros
        self.custom.value = ''
        set_error(self.custom, None)
        self._show_preset()

    def _typed(self) -> None:
        set_error(self.custom, None)
        if (self.custom.value or '').strip() and self.preset is not None:
            self.preset = None
            self._show_preset()

    def _show_preset(self) -> None:
        for micros, button in self.presets.items():
            chosen = micros == self.preset
            button.props(remove='outline unelevated')
            button.props(f'{"unelevated" if chosen else "outline"} aria-pressed={str(chosen).lower()}')

    def review(self) -> None:
        """Check the form, then ask for confirmation with one idempotency key for this confirmation."""
        set_error(self.custom, None)
        set_error(self.method, None)
        text = (self.custom.value or '').strip()
        if not text and self.preset is None:
            set_error(self.custom, 'Choose an amount above or type one')
            return
        try:
            micros = read_amount(text, self.account.currency, locales.of(self.account)) if text else self.preset
        except ValueError as error:
            set_error(self.custom, str(error))
            return
        if self.method.value not in DEFAULT_GATEWAY.methods:
            set_error(self.method, 'Choose how you paid')
            return
        ConfirmTopUp(self, micros, self.method.value, idempotency_key=uuid.uuid4().hex)

    def refused(self, error: TopUpError) -> None:
        """The service refused what the form sent: show it on the field it concerns."""
        show_error(error, {'amount': self.custom, 'method': self.method}, capitalize=True)


class ConfirmTopUp:
    """The confirmation dialog. A double click or a retried click reuses its key, so it credits once."""

    def __init__(self, form: TopUpForm, micros: int, method: str, *, idempotency_key: str) -> None:
        self.form, self.micros, self.method, self.key = form, micros, method, idempotency_key
        self.working = False
        amount = format_money(micros, form.account.currency, locale=locales.of(form.account))
        with form.box:
            self.dialog = ui.dialog()
        self.dialog.on_value_change(lambda e: None if e.value else self.dialog.delete())
        with self.dialog, ui.card().classes('w-full max-w-md gap-3 p-5'):
            ui.label(f'Add {amount} to your balance by {billing.method_label(method)}?').classes(
                'text-lg font-semibold'
            )
            ui.label(
                'lowrouter records the payment at once and issues a numbered receipt. No card is charged here.'
            ).classes('text-sm')
            self.problem = ui.label().classes('text-sm text-negative').mark('top-up-problem')
            self.problem.set_visibility(False)
            with ui.row().classes('w-full justify-end gap-2 pt-2'):
                ui.button('Cancel', on_click=self.dialog.close).props('flat no-caps')
                self.button = (
                    ui.button(f'Add {amount}', on_click=self.confirm).props('unelevated no-caps').mark('confirm-top-up')
                )
        self.dialog.open()

    async def confirm(self) -> None:
        if self.working:
            return
        self.working = True
        self.button.disable()
        self.button.props('loading')
        try:
            stored, number = await save(self._credit)
        except TopUpError as error:
            self._failed(error)
            return
        finally:
            self.working = False
            if not self.button.is_deleted:
                self.button.enable()
                self.button.props(remove='loading')
        if not stored:  # the database failed: nothing was credited (save() said so); the dialog stays for a retry
            return
        with self.form.box:  # closing deletes the dialog, so speak from the card that stays
            self.dialog.close()
            amount = format_money(self.micros, self.form.account.currency, locale=locales.of(self.form.account))
            ui.notify(f'Added {amount} to your balance. Receipt {number} is ready.', type='positive')
            self.form.on_done()

    def _failed(self, error: TopUpError) -> None:
        """Nothing was credited. A declined payment stays in the dialog (a retry reuses its key); a refused
        amount or method goes back to its field."""
        if error.field == 'payment':
            self.problem.set_text(f'The payment did not go through: {error.message}. Nothing was added.')
            self.problem.set_visibility(True)
            return
        with self.form.box:
            self.dialog.close()
            self.form.refused(error)

    def _credit(self, session: Session) -> str:
        result = top_up(session, self.form.account, self.micros, method=self.method, idempotency_key=self.key)
        if result.created:
            email_receipt(session, self.form.account, result.receipt)
        return result.receipt.number
