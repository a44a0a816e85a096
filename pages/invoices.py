"""/invoices: the billing history, one invoice per closed month plus a draft of this month, each as PDF."""

from __future__ import annotations

from nicegui import run, ui

from components import billing
from components.shell import frame
from services import db, locales
from services.billing.invoices import InvoiceFile, invoice_file, invoices
from services.models import Account, Invoice
from services.money import format_money
from services.timeutil import format_local, local

COLUMNS = [
    billing.column('number', 'Invoice'),
    billing.column('period', 'Period'),
    billing.column('status', 'Status'),
    billing.column('total', 'Usage total', 'right'),
    billing.column('balance', 'Balance: opening → closing', 'right'),
]
NUMBER_SLOT = '<q-td :props="props"><span class="lr-mono text-slate-900">{{ props.row.number }}</span></q-td>'
STATUS_SLOT = r"""
<q-td :props="props">
  <q-badge :color="props.row.draft ? 'orange-9' : 'positive'" :label="props.row.status" class="px-2 py-1" />
  <div class="text-xs lr-muted pt-1 whitespace-nowrap">{{ props.row.status_note }}</div>
</q-td>
"""
TOTAL_SLOT = r"""
<q-td :props="props">
  <div class="tabular-nums font-medium">{{ props.row.total }}</div>
  <div v-if="props.row.draft" class="text-xs lr-muted">so far</div>
</q-td>
"""
BALANCE_SLOT = r"""
<q-td :props="props">
  <span class="tabular-nums whitespace-nowrap">{{ props.row.opening }} → {{ props.row.closing }}</span>
</q-td>
"""


@ui.page('/invoices')
def invoices_page() -> None:
    with frame('Invoices', active='Invoices') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        InvoicesView(account)


def period_text(invoice: Invoice, zone: str) -> str:
    """'October 2026': the calendar month the invoice covers, in the time zone it was computed in."""
    return local(invoice.period_start, zone).strftime('%B %Y')


def no_activity(found: list[Invoice]) -> bool:
    """Only an empty draft: no usage, no top-up and no balance yet."""
    if any(i.status != 'draft' for i in found):
        return False
    snapshots = [i.snapshot or {} for i in found]
    return all(
        not s.get('lines') and not s.get('top_ups') and not s.get('opening_micros') and not s.get('closing_micros')
        for s in snapshots
    )


class InvoicesView:
    """Every invoice, newest month first (the background job issues them when a month closes)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        ui.add_css(billing.CSS)
        with db.read_scope() as session:  # this month's draft is computed: opening the page writes nothing
            found = invoices(session, account)
        zone = account.timezone
        with ui.column().classes('w-full gap-1 max-w-3xl'):
            ui.label('Invoices').classes('text-2xl font-semibold')
            ui.label(
                f'Each month has an invoice of what you used, with your top-ups and balance. When a month ends '
                f'(midnight, {zone} time) its invoice is issued automatically and never changes afterwards. '
                'The draft of this month is recomputed each time you open this page, so it is never final.'
            ).classes('lr-muted text-sm').mark('invoices-explainer')
        with billing.list_card('Billing history', f'newest first · months in {zone}'):
            if no_activity(found):
                billing.empty_state(
                    'receipt_long',
                    'No billing history yet',
                    'Invoices start with your first top-up or your first request through lowrouter.',
                    'no-invoices',
                )
                return
            rows = [self._row(i) for i in found]
            slots = {'number': NUMBER_SLOT, 'status': STATUS_SLOT, 'total': TOTAL_SLOT, 'balance': BALANCE_SLOT}
            billing.billing_table(COLUMNS, rows, slots, self.download).mark('invoices-table')
            with billing.phone_list():
                for row in rows:
                    facts = [
                        ('Status', f'{row["status"]} · {row["status_note"]}'),
                        ('Usage total', row['total'] + (' so far' if row['draft'] else '')),
                        ('Opening balance', row['opening']),
                        ('Closing balance', row['closing']),
                    ]
                    pdf = lambda invoice_id=row['id']: self.download(invoice_id)  # noqa: E731
                    billing.phone_card(row['period'], row['number'], facts, pdf, f'invoice-{row["number"]}')

    def _row(self, invoice: Invoice) -> dict:
        snapshot = invoice.snapshot or {}
        zone = snapshot.get('timezone', self.account.timezone)
        draft = invoice.status == 'draft'
        currency, loc = invoice.currency, locales.of(self.account)
        return {
            'id': invoice.id,
            'number': invoice.number,
            'period': period_text(invoice, zone),
            'draft': draft,
            'status': 'Draft' if draft else 'Issued',
            'status_note': 'this month so far, not final'
            if draft
            else f'issued {format_local(invoice.issued_at or invoice.period_end, zone)[:10]}',
            'total': format_money(invoice.total_micros, currency, locale=loc),
            'opening': format_money(snapshot.get('opening_micros', 0), currency, locale=loc),
            'closing': format_money(snapshot.get('closing_micros', 0), currency, locale=loc),
        }

    async def download(self, invoice_id: int) -> None:
        found = await run.io_bound(stored_or_draft_pdf, self.account, int(invoice_id))
        if found is None:
            ui.notify('That invoice no longer exists', type='warning')
            return
        ui.download.content(found.pdf, found.file_name, 'application/pdf')


def stored_or_draft_pdf(account: Account, invoice_id: int) -> InvoiceFile | None:
    """The bytes the API serves too: an issued invoice's stored PDF, or the draft rendered now (off the event
    loop: rendering takes a moment)."""
    with db.read_scope() as session:
        return invoice_file(session, account, invoice_id)
