"""/credits: the balance, a top-up (recorded once per confirmation) and the receipts with their PDFs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from babel.numbers import get_currency_precision
from nicegui import run, ui

from components import billing
from components.form_errors import show_error
from components.key_form import set_error
from components.saving import save
from components.shell import frame
from components.widgets import card
from services import db
from services.account.accounts import current_account
from services.billing.ledger import (
    MAX_TOP_UP,
    MIN_TOP_UP,
    PRESETS,
    TopUpError,
    credit_balance,
    get_receipt,
    receipts,
    top_up,
)
from services.billing.payments import DEFAULT_GATEWAY
from services.billing.pdfs import receipt_pdf
from services.db import Session
from services.models import Account, Receipt
from services.money import MoneyError, currency_symbol, format_money, parse_amount
from services.notifications.outbox import email_receipt
from services.timeutil import format_local, local
from services.usage.totals import spent_this_month

AMOUNT_HELP = 'Enter an amount like 50.00'
RECEIPT_COLUMNS = [
    billing.column('number', 'Receipt'),
    billing.column('date', 'Date'),
    billing.column('amount', 'Amount', 'right'),
    billing.column('method', 'Method'),
    billing.column('reference', 'Reference'),
]
NUMBER_SLOT = '<q-td :props="props"><span class="lr-mono text-slate-900">{{ props.row.number }}</span></q-td>'
REFERENCE_SLOT = '<q-td :props="props"><span class="lr-mono lr-muted">{{ props.row.reference }}</span></q-td>'


@ui.page('/credits')
def credits_page() -> None:
    with frame('Credits', active='Credits') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        CreditsView(account)


def read_amount(text: str, currency: str) -> int:
    """'12.34' (or '12,34') -> micro-units; ValueError with a sentence for the field when it cannot be topped up."""
    text = text.strip().replace(' ', '')
    if re.fullmatch(r'\d+,\d{1,2}', text):  # a decimal comma, as many people type it
        text = text.replace(',', '.')
    try:
        micros = parse_amount(text)
    except MoneyError:
        raise ValueError(AMOUNT_HELP) from None
    digits = get_currency_precision(currency)
    if micros % 10 ** (6 - digits):
        raise ValueError(f'Use at most {digits} decimals' if digits else 'Enter a whole amount')
    if not MIN_TOP_UP <= micros <= MAX_TOP_UP:
        low, high = format_money(MIN_TOP_UP, currency), format_money(MAX_TOP_UP, currency)
        raise ValueError(f'A top-up is between {low} and {high}')
    return micros


class CreditsView:
    """One visitor's credits page: balance, top-up form and receipts, refreshed after a top-up."""

    def __init__(self, account: Account) -> None:
        self.account = account
        ui.add_css(billing.CSS)
        with ui.column().classes('w-full gap-1 max-w-2xl'):
            ui.label('Credits').classes('text-2xl font-semibold')
            ui.label(
                'Your balance pays for every request through lowrouter. Add credits here; each top-up gets a '
                'numbered receipt you can download as PDF.'
            ).classes('lr-muted text-sm')
        with ui.element('div').classes('grid grid-cols-1 md:grid-cols-5 gap-4 w-full'):
            with ui.column().classes('w-full md:col-span-2 gap-0 p-0'):
                self.balance()
            self.form = TopUpForm(account, self.refresh)
        self.receipt_list()

    def refresh(self) -> None:
        self.balance.refresh()
        self.receipt_list.refresh()

    @ui.refreshable_method
    def balance(self) -> None:
        now = datetime.now(UTC)
        with db.read_scope() as session:
            self.account = current_account(session) or self.account
            balance = credit_balance(session, self.account)
            spent = spent_this_month(session, self.account, now=now)
            latest = next(iter(receipts(session, self.account.id)), None)
        zone = self.account.timezone
        last = (
            latest
            and f'{format_money(latest.amount_micros, latest.currency)} on {format_local(latest.issued_at, zone)[:10]}'
        )
        billing.balance_card(self.account, balance, spent, local(now, zone).strftime('%B'), last)

    @ui.refreshable_method
    def receipt_list(self) -> None:
        with db.read_scope() as session:
            found = receipts(session, self.account.id)
        rows = [self._row(r) for r in found]
        with billing.list_card('Receipts', f'newest first · times in {self.account.timezone}'):
            if not rows:
                billing.empty_state(
                    'receipt', 'No receipts yet', 'Each top-up gets a receipt; it will show here.', 'no-receipts'
                )
                return
            slots = {'number': NUMBER_SLOT, 'reference': REFERENCE_SLOT}
            billing.billing_table(RECEIPT_COLUMNS, rows, slots, self.download).mark('receipts-table')
            with billing.phone_list():
                for row in rows:
                    facts = [('Date', row['date']), ('Method', row['method']), ('Reference', row['reference'])]
                    pdf = lambda receipt_id=row['id']: self.download(receipt_id)  # noqa: E731
                    billing.phone_card(row['number'], row['amount'], facts, pdf, f'receipt-{row["id"]}')

    def _row(self, receipt: Receipt) -> dict:
        return {
            'id': receipt.id,
            'number': receipt.number,
            'date': format_local(receipt.issued_at, self.account.timezone),
            'amount': format_money(receipt.amount_micros, receipt.currency),
            'method': billing.method_label(receipt.method),
            'reference': receipt.reference or '—',
        }

    async def download(self, receipt_id: int) -> None:
        with db.read_scope() as session:
            receipt = get_receipt(session, self.account.id, int(receipt_id))
        if receipt is None:
            ui.notify('That receipt no longer exists', type='warning')
            return
        pdf = await run.io_bound(receipt_pdf, self.account, receipt)
        ui.download.content(pdf, f'{receipt.number}.pdf', 'application/pdf')


class TopUpForm:
    """Amount (a preset or a custom one) and payment method, then a confirmation that credits exactly once."""

    def __init__(self, account: Account, on_done: Callable[[], None]) -> None:
        self.account = account
        self.on_done = on_done
        self.preset: int | None = PRESETS[1] if len(PRESETS) > 1 else None
        currency = account.currency
        low, high = format_money(MIN_TOP_UP, currency), format_money(MAX_TOP_UP, currency)
        with card('Top up', subtitle=currency).classes('md:col-span-3') as box:
            self.box = box
            ui.label('Amount').classes('text-sm font-medium text-slate-700')
            self.presets: dict[int, ui.button] = {}
            with ui.element('div').classes('grid grid-cols-2 sm:grid-cols-4 gap-2 w-full'):
                for micros in PRESETS:
                    self.presets[micros] = (
                        ui.button(format_money(micros, currency), on_click=lambda m=micros: self.pick(m))
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
            micros = read_amount(text, self.account.currency) if text else self.preset
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
        amount = format_money(micros, form.account.currency)
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
            amount = format_money(self.micros, self.form.account.currency)
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
