"""/credits: the balance, a top-up (recorded once per confirmation) and the receipts with their PDFs.

The page stays live: a top-up made in another tab or through the API, and the spending of traffic, show
within about a second without a reload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from nicegui import run, ui

from components import billing, live
from components.live_slot import LiveSlot
from components.shell import frame
from components.top_up import TopUpForm
from services import db, locales
from services.account.accounts import get_account
from services.billing.ledger import (
    credit_balance,
    get_receipt,
    receipts,
)
from services.billing.pdfs import receipt_pdf
from services.models import Account, Receipt
from services.money import format_money
from services.timeutil import format_local, local
from services.usage.totals import spent_this_month

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
    with frame('Credits', active='Credits', live=True) as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        CreditsView(account)


@dataclass(frozen=True)
class Credits:
    """What the page shows, read in one go (for its first render and for each live refresh)."""

    account: Account
    now: datetime
    balance_micros: int
    spent_month_micros: int
    receipts: list[Receipt]

    @property
    def month(self) -> str:
        return local(self.now, self.account.timezone).strftime('%B')

    @property
    def last_top_up(self) -> str | None:
        latest = next(iter(self.receipts), None)
        if latest is None:
            return None
        day = format_local(latest.issued_at, self.account.timezone)[:10]
        return f'{format_money(latest.amount_micros, latest.currency, locale=locales.of(self.account))} on {day}'


def read_credits(account_id: int) -> Credits | None:
    """The account's balance, month spend and receipts; None when the account is gone."""
    now = datetime.now(UTC)
    with db.read_scope() as session:
        account = get_account(session, account_id)
        if account is None:
            return None
        return Credits(
            account=account,
            now=now,
            balance_micros=credit_balance(session, account),
            spent_month_micros=spent_this_month(session, account, now=now),
            receipts=receipts(session, account.id),
        )


def _balance_key(data: Credits) -> tuple:
    account = data.account
    return (
        data.balance_micros,
        data.spent_month_micros,
        data.month,
        data.last_top_up,
        account.currency,
        account.low_balance_threshold_micros,
    )


class CreditsView:
    """One visitor's credits page: balance, top-up form and receipts. Live: a top-up made elsewhere (another
    tab, the API) and the spending of traffic show within about a second; only what changed is drawn again,
    so the form, an open dialog and the scroll position stay as they are."""

    def __init__(self, account: Account) -> None:
        self.account = account
        ui.add_css(billing.CSS)
        data = read_credits(account.id) or self._empty(account)
        self.account = data.account
        with ui.column().classes('w-full gap-1 max-w-2xl'):
            ui.label('Credits').classes('text-2xl font-semibold')
            ui.label(
                'Your balance pays for every request through lowrouter. Add credits here; each top-up gets a '
                'numbered receipt you can download as PDF.'
            ).classes('lr-muted text-sm')
        with ui.element('div').classes('grid grid-cols-1 md:grid-cols-5 gap-4 w-full'):
            with ui.column().classes('w-full md:col-span-2 gap-0 p-0'):
                self.balance = LiveSlot(self._balance, _balance_key, data, classes='h-full')
            self.form = TopUpForm(account, self.refresh)
        self.receipt_list = LiveSlot(self._receipts, self._receipts_key, data)
        live.watch(account.id, {'balance', 'usage'}, self.live_refresh)

    @staticmethod
    def _empty(account: Account) -> Credits:
        return Credits(account, datetime.now(UTC), 0, 0, [])

    def refresh(self) -> None:
        """After this page's own top-up: show it at once."""
        self.show(read_credits(self.account.id))

    async def live_refresh(self, tick: live.Tick) -> None:
        account_id = self.account.id
        self.show(await tick.shared(('credits', account_id), lambda: read_credits(account_id)))

    def show(self, data: Credits | None) -> None:
        if data is None:
            return
        self.account = data.account
        self.balance.show(data)
        self.receipt_list.show(data)

    def _balance(self, data: Credits) -> None:
        billing.balance_card(data.account, data.balance_micros, data.spent_month_micros, data.month, data.last_top_up)

    def _receipts_key(self, data: Credits) -> tuple:
        return tuple(tuple(self._row(r, data.account).values()) for r in data.receipts), data.account.timezone

    def _receipts(self, data: Credits) -> None:
        rows = [self._row(r, data.account) for r in data.receipts]
        with billing.list_card('Receipts', f'newest first · times in {data.account.timezone}'):
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

    @staticmethod
    def _row(receipt: Receipt, account: Account) -> dict:
        return {
            'id': receipt.id,
            'number': receipt.number,
            'date': format_local(receipt.issued_at, account.timezone),
            'amount': format_money(receipt.amount_micros, receipt.currency, locale=locales.of(account)),
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
