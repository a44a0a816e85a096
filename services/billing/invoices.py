"""Monthly invoices: issued for closed months (account time zone), a draft for the current one.

An issued invoice stores a snapshot of everything it says and, rendered from it once when it is issued, its PDF
(invoice_document): the invoices page and the API answer those stored bytes (`invoice_file`); this month's
draft is rendered on demand by the same function for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services import locales
from services.billing.ledger import credit_balance
from services.billing.pdfs import invoice_pdf
from services.models import Account, Invoice, InvoiceDocument, LedgerEntry, Receipt, utcnow
from services.timeutil import local, utc
from services.usage.query import first_usage, usage

DRAFT_ID = 0  # the id of this month's draft, which is computed when asked for and never stored
MAX_ISSUED_PER_CALL = 24  # a round of the background job stays short whatever the history; the next one goes on
ZONE_EAST, ZONE_WEST = timedelta(hours=15), timedelta(hours=13)  # UTC+14 and UTC-12, with an hour to spare


def month_bounds(zone: str, year: int, month: int) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime(year, month, 1, tzinfo=tz)
    if (year, month) == (datetime.max.year, 12):
        return utc(start), datetime.max.replace(tzinfo=UTC)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return utc(start), utc(end)


def ensure_invoices(
    session: Session, account: Account, *, now: datetime | None = None, limit: int = MAX_ISSUED_PER_CALL
) -> int:
    """Issue the invoices of closed months since the first activity that have none yet (a month without usage
    gets a statement of its balances), newest first and at most `limit` of them, each with its PDF stored; then
    store the PDF of up to `limit` invoices issued before documents were stored. Returns how many were issued.

    The background job calls this (workers/delivery.py); reading invoices never issues them."""
    now = now or utcnow()
    first = _first_activity(session, account.id)
    if first is None:
        return 0
    here = local(now, account.timezone)
    oldest = (lambda d: (d.year, d.month))(local(first, account.timezone))
    existing = set(
        session.exec(select(Invoice.number).where(Invoice.account_id == account.id, Invoice.status == 'issued'))
    )
    year, month = (here.year - 1, 12) if here.month == 1 else (here.year, here.month - 1)
    issued = 0
    while (year, month) >= oldest and issued < limit:
        if f'INV-{year}-{month:02d}' not in existing:
            try:
                with session.begin_nested():
                    _store(session, account, year, month, status='issued', now=now)
                issued += 1
            except IntegrityError:  # another process issued it at the same moment: theirs stands
                pass
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    store_missing_documents(session, account, limit=limit)
    return issued


def surely_not_invoiced(moment: datetime, *, now: datetime | None = None) -> bool:
    """Whether `moment` is after the end of every invoice that can have been issued by `now`, in any time zone:
    then `invoiced_until` need not be asked.

    An invoice covers a month that had ended in its account's zone when it was issued, and ends at midnight on
    a 1st there: at most 14 hours before (UTC+14) or 12 hours after (UTC-12) midnight UTC on that 1st, an hour
    more each side here for safety. Until a month can have ended anywhere, no invoice ends later than noon on
    the current UTC month's 1st (plus that hour)."""
    now = (now or utcnow()).astimezone(UTC)
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (month + timedelta(days=32)).replace(day=1)
    return now < following - ZONE_EAST and moment >= month + ZONE_WEST


def invoiced_until(session: Session, account: Account) -> datetime | None:
    """The end of the last issued invoice's period (None before the first): nothing before it may change."""
    last = session.connection().execute(_last_period_end(), {'account_id': account.id}).scalar_one()
    return None if last is None else last if last.tzinfo else last.replace(tzinfo=UTC)


@cache
def _last_period_end():
    """Built once, in Core: every ingested generation that gives its own time asks (see `invoiced_until`)."""
    table = Invoice.__table__
    return select(func.max(table.c.period_end)).where(
        table.c.account_id == bindparam('account_id'), table.c.status == 'issued'
    )


def current_draft(session: Session, account: Account, *, now: datetime | None = None) -> Invoice:
    """The current month so far, as a draft: computed from stored figures each time it is asked for and never
    stored (reading invoices writes nothing). It carries the id DRAFT_ID; stored ids start at 1."""
    now = now or utcnow()
    here = local(now, account.timezone)
    invoice = _month_invoice(session, account, here.year, here.month, status='draft', now=now)
    invoice.id = DRAFT_ID
    return invoice


def invoices(session: Session, account: Account, *, now: datetime | None = None) -> list[Invoice]:
    """This month's draft, then every issued invoice, newest month first. (Drafts that earlier versions stored
    are passed over: the draft is always computed anew.)"""
    query = (
        select(Invoice)
        .where(Invoice.account_id == account.id, Invoice.status == 'issued')
        .order_by(Invoice.period_start.desc())
    )
    return [current_draft(session, account, now=now), *session.exec(query)]


def get_invoice(session: Session, account: Account, invoice_id: int) -> Invoice | None:
    """An issued invoice of the account, or this month's draft for DRAFT_ID."""
    if invoice_id == DRAFT_ID:
        return current_draft(session, account)
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.account_id != account.id or invoice.status != 'issued':
        return None
    return invoice


def _store(session: Session, account: Account, year: int, month: int, *, status: str, now: datetime) -> Invoice:
    invoice = _month_invoice(session, account, year, month, status=status, now=now)
    session.add(invoice)
    session.flush()
    if status == 'issued':
        _store_document(session, invoice)
    return invoice


@dataclass(frozen=True)
class InvoiceFile:
    file_name: str
    pdf: bytes


def invoice_file(session: Session, account: Account, invoice_id: int) -> InvoiceFile | None:
    """The PDF that the invoices page and the API both serve: an issued invoice's stored document (rendered once
    when it was issued), or this month's draft rendered now, by the same function. None: no such invoice."""
    invoice = get_invoice(session, account, invoice_id)
    if invoice is None:
        return None
    return InvoiceFile(f'{invoice.number}.pdf', invoice_document(session, invoice))


def invoice_document(session: Session, invoice: Invoice) -> bytes:
    """The PDF of `invoice` as everyone gets it (page, API, e-mail, account export): an issued invoice's stored
    bytes, or the draft rendered now. An invoice issued before documents were stored renders from its snapshot
    until the background job stores it, which prints the same figures."""
    stored = session.get(InvoiceDocument, invoice.id) if invoice.status == 'issued' and invoice.id else None
    return stored.pdf if stored is not None else invoice_pdf(invoice)


def store_missing_documents(session: Session, account: Account, *, limit: int = MAX_ISSUED_PER_CALL) -> int:
    """Store the PDF of issued invoices that have none yet (issued before documents were stored), oldest first
    and at most `limit` of them. Returns how many were stored."""
    missing = session.exec(
        select(Invoice)
        .join(InvoiceDocument, InvoiceDocument.invoice_id == Invoice.id, isouter=True)
        .where(Invoice.account_id == account.id, Invoice.status == 'issued', InvoiceDocument.invoice_id.is_(None))
        .order_by(Invoice.period_start)
        .limit(limit)
    ).all()
    stored = 0
    for invoice in missing:
        try:
            with session.begin_nested():
                _store_document(session, invoice)
            stored += 1
        except IntegrityError:  # another process stored it at the same moment: the same bytes
            pass
    return stored


def _store_document(session: Session, invoice: Invoice) -> None:
    session.add(InvoiceDocument(invoice_id=invoice.id, account_id=invoice.account_id, pdf=invoice_pdf(invoice)))
    session.flush()


def _month_invoice(session: Session, account: Account, year: int, month: int, *, status: str, now: datetime) -> Invoice:
    """The invoice of a month as it stands at `now` (a draft counts up to `now`), not stored."""
    start, end = month_bounds(account.timezone, year, month)
    snapshot = build_snapshot(session, account, start, min(end, now) if status == 'draft' else end)
    prefix = 'INV' if status == 'issued' else 'DRAFT'
    return Invoice(
        account_id=account.id,
        number=f'{prefix}-{year}-{month:02d}',
        period_start=start,
        period_end=end,
        status=status,
        total_micros=snapshot['usage_micros'],
        currency=account.currency,
        issued_at=now,
        snapshot=snapshot | {'number': f'{prefix}-{year}-{month:02d}', 'status': status, 'issued_at': now.isoformat()},
    )


def build_snapshot(session: Session, account: Account, start: datetime, end: datetime) -> dict:
    """Everything the invoice says, from the usage query and the ledger, as JSON-ready values."""
    by_model = usage(session, account.id, since=start, until=end, group_by=('model',))
    lines = [
        {'model': u.model, 'requests': u.requests, 'tokens': u.tokens, 'cost_micros': u.cost_micros}
        for u in sorted(by_model, key=lambda u: (-u.cost_micros, u.model))
    ]
    top_ups = [
        {
            'date': e.created_at.isoformat(),
            'receipt_number': number,
            'method': e.method or '',
            'amount_micros': e.amount_micros,
        }
        for e, number in session.exec(
            select(LedgerEntry, Receipt.number)
            .join(Receipt, Receipt.ledger_entry_id == LedgerEntry.id, isouter=True)
            .where(LedgerEntry.account_id == account.id, LedgerEntry.created_at >= start, LedgerEntry.created_at < end)
            .order_by(LedgerEntry.created_at)
        )
    ]
    opening = credit_balance(session, account, before=start)
    used = sum(line['cost_micros'] for line in lines)
    top_ups_total = sum(t['amount_micros'] for t in top_ups)
    return {
        'period_start': start.isoformat(),
        'period_end': end.isoformat(),
        'timezone': account.timezone,
        'locale': locales.of(account),
        'party': {'name': account.name, 'email': account.email},
        'currency': account.currency,
        'lines': lines,
        'top_ups': top_ups,
        'opening_micros': opening,
        'top_ups_micros': top_ups_total,
        'usage_micros': used,
        'closing_micros': opening + top_ups_total - used,
        'emissions': _emissions(session, account.id, start, end),
    }


EMISSION_COLUMNS = ('energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high')
EMISSION_COLUMNS += ('embodied_g', 'embodied_g_low', 'embodied_g_high')  # the manufacturing part of carbon_g


def _emissions(session: Session, account_id: int, start: datetime, end: datetime) -> dict:
    """Energy, carbon and its manufacturing part summed over the period (eco-1 rows add 0 to the part), and the
    methodology versions that computed them."""
    by_version = usage(session, account_id, since=start, until=end, group_by=('methodology_version',))
    sums = {c: float(sum(getattr(u, c) for u in by_version)) for c in EMISSION_COLUMNS}
    return sums | {'methodology_versions': [u.methodology_version for u in by_version]}


def _first_activity(session: Session, account_id: int) -> datetime | None:
    first_credit = session.exec(
        select(func.min(LedgerEntry.created_at)).where(LedgerEntry.account_id == account_id)
    ).one()
    moments = [m for m in (first_usage(session, account_id), first_credit) if m is not None]
    if not moments:
        return None
    return min(m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)
