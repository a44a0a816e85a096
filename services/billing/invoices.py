"""Monthly invoices: issued for closed months (account time zone), a draft for the current one.

An issued invoice stores a snapshot of everything it says, so its PDF is rendered from stored data
and a re-download is byte-for-byte the same document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services.models import Account, Invoice, LedgerEntry, Receipt, UsageHour, utcnow
from services.timeutil import local, utc

DRAFT_ID = 0  # the id of this month's draft, which is computed when asked for and never stored
MAX_ISSUED_PER_CALL = 24  # a round of the background job stays short whatever the history; the next one goes on


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
    gets a statement of its balances), newest first and at most `limit` of them. Returns how many were issued.

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
    return issued


def invoiced_until(session: Session, account: Account) -> datetime | None:
    """The end of the last issued invoice's period (None before the first): nothing before it may change."""
    last = session.exec(
        select(func.max(Invoice.period_end)).where(Invoice.account_id == account.id, Invoice.status == 'issued')
    ).one()
    return None if last is None else last if last.tzinfo else last.replace(tzinfo=UTC)


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
    return invoice


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
    """Everything the invoice says, from rollups and the ledger, as JSON-ready values."""
    lines = [
        {'model': m, 'requests': int(r), 'tokens': int(t), 'cost_micros': int(c)}
        for m, r, t, c in session.exec(
            select(
                UsageHour.model,
                func.sum(UsageHour.requests),
                func.sum(UsageHour.prompt_tokens + UsageHour.completion_tokens),
                func.sum(UsageHour.cost_micros),
            )
            .where(UsageHour.account_id == account.id, UsageHour.hour >= start, UsageHour.hour < end)
            .group_by(UsageHour.model)
            .order_by(func.sum(UsageHour.cost_micros).desc(), UsageHour.model)
        )
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
    opening = _credits(session, account.id, before=start) - _usage(session, account.id, before=start)
    usage = sum(line['cost_micros'] for line in lines)
    top_ups_total = sum(t['amount_micros'] for t in top_ups)
    return {
        'period_start': start.isoformat(),
        'period_end': end.isoformat(),
        'timezone': account.timezone,
        'party': {'name': account.name, 'email': account.email},
        'currency': account.currency,
        'lines': lines,
        'top_ups': top_ups,
        'opening_micros': opening,
        'top_ups_micros': top_ups_total,
        'usage_micros': usage,
        'closing_micros': opening + top_ups_total - usage,
        'emissions': _emissions(session, account.id, start, end),
    }


EMISSION_COLUMNS = ('energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high')
EMISSION_COLUMNS += ('embodied_g', 'embodied_g_low', 'embodied_g_high')  # the manufacturing part of carbon_g


def _emissions(session: Session, account_id: int, start: datetime, end: datetime) -> dict:
    """Energy, carbon and its manufacturing part summed over the period's rollups (eco-1 rows add 0 to the part)."""
    columns = EMISSION_COLUMNS
    window = (UsageHour.account_id == account_id, UsageHour.hour >= start, UsageHour.hour < end)
    sums = session.exec(
        select(*(func.coalesce(func.sum(getattr(UsageHour, c)), 0) for c in columns)).where(*window)
    ).one()
    versions = sorted(session.exec(select(UsageHour.methodology_version).where(*window).distinct()))
    return {c: float(v) for c, v in zip(columns, sums, strict=True)} | {'methodology_versions': versions}


def _credits(session: Session, account_id: int, *, before: datetime) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(
        LedgerEntry.account_id == account_id, LedgerEntry.created_at < before
    )
    return int(session.exec(query).one())


def _usage(session: Session, account_id: int, *, before: datetime) -> int:
    query = select(func.coalesce(func.sum(UsageHour.cost_micros), 0)).where(
        UsageHour.account_id == account_id, UsageHour.hour < before
    )
    return int(session.exec(query).one())


def _first_activity(session: Session, account_id: int) -> datetime | None:
    first_usage = session.exec(select(func.min(UsageHour.hour)).where(UsageHour.account_id == account_id)).one()
    first_credit = session.exec(
        select(func.min(LedgerEntry.created_at)).where(LedgerEntry.account_id == account_id)
    ).one()
    moments = [m for m in (first_usage, first_credit) if m is not None]
    if not moments:
        return None
    return min(m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)
