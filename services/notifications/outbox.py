"""The e-mail outbox: one row per event, written in the event's own transaction (insert-or-ignore on its
dedupe key), delivered later by `deliver_due`, which claims due rows with a lease in a short transaction,
sends each outside any transaction and then marks it sent or schedules a retry with exponential backoff.

Also the hooks the rest of the app calls when something happens (a receipt, an invoice, a low balance,
a key near its limit) and the weekly summary. Each hook queues the in-app notification (the bell) and,
when SMTP is configured, the preference is on and the account has an address, the e-mail.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from services import db
from services.billing.invoices import invoice_document
from services.billing.ledger import credit_balance
from services.billing.pdfs import receipt_pdf
from services.eco.impact import EcoImpact, eco_impact
from services.keys.spend import KeyMonth, month_usage_by_key
from services.models import Account, ApiKey, Invoice, LedgerEntry, Notification, Outbox, Receipt, utcnow
from services.notifications import mailer
from services.notifications.inbox import wants
from services.notifications.queue import queue, queue_low_balance
from services.usage.query import usage

log = logging.getLogger('lowrouter')

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8
FIRST_RETRY = 60  # seconds; doubled per attempt
LAST_RETRY = 3600
KEY_THRESHOLDS = (100, 80)  # percent of a key's monthly limit, highest first


def enqueue_email(
    session: Session,
    account: Account,
    kind: str,
    dedupe_key: str,
    subject: str,
    text: str,
    html: str,
    attachment: tuple[str, int] | None = None,
) -> bool:
    """Queue an e-mail in the caller's transaction, once per dedupe key. Nothing when SMTP is not configured,
    the account's preference for `kind` is off, the account has no e-mail or is the demo (its address is made
    up). `attachment`: ('receipt' | 'invoice', id), rendered as PDF when sent. Returns whether a row was added."""
    if mailer.smtp_settings() is None or not account.email or account.is_demo or not wants(account, kind):
        return False
    insert = {'sqlite': sqlite.insert, 'postgresql': postgresql.insert}[session.get_bind().dialect.name]
    now = utcnow()
    statement = insert(Outbox).values(
        account_id=account.id,
        kind=kind,
        dedupe_key=dedupe_key,
        to_address=account.email,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        attachment_kind=attachment[0] if attachment else None,
        attachment_id=attachment[1] if attachment else None,
        status='pending',
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    result = session.execute(statement.on_conflict_do_nothing(index_elements=['account_id', 'dedupe_key']))
    return bool(result.rowcount)


def _notify(
    session: Session, account: Account, kind: str, key: str, link: str, message: tuple, attachment=None
) -> bool:
    """The bell (always) and the e-mail (per enqueue_email's conditions) for one event."""
    content, body = message
    queue(session, account, kind=kind, title=content.bell_title, body=body, link=link, dedupe_key=key)
    return enqueue_email(session, account, kind, key, content.subject, content.text, content.html, attachment)


def email_receipt(session: Session, account: Account, receipt: Receipt) -> bool:
    """After a top-up issued `receipt`: the bell, and the e-mail with the receipt PDF."""
    message = mailer.receipt_content(account, receipt)
    return _notify(session, account, 'receipt', f'receipt:{receipt.id}', '/credits', message, ('receipt', receipt.id))


def email_invoice(session: Session, account: Account, invoice: Invoice) -> bool:
    """After an invoice was issued (drafts are never sent): the bell, and the e-mail with the invoice PDF."""
    if invoice.status != 'issued':
        return False
    message = mailer.invoice_content(account, invoice)
    return _notify(session, account, 'invoice', f'invoice:{invoice.id}', '/invoices', message, ('invoice', invoice.id))


def low_balance_key(session: Session, account: Account) -> str:
    """The dedupe key services.notifications.queue.queue_low_balance uses: one alert per crossing (top-ups re-arm)."""
    last = session.exec(select(func.max(LedgerEntry.id)).where(LedgerEntry.account_id == account.id)).one()
    return f'low_balance:after:{last or 0}'


def email_low_balance(session: Session, account: Account) -> bool:
    content = mailer.low_balance_content(account, credit_balance(session, account))
    key = low_balance_key(session, account)
    return enqueue_email(session, account, 'low_balance', key, content.subject, content.text, content.html)


def notify_low_balance(session: Session, account: Account) -> bool:
    """When the balance is under the threshold (and the preference is on): the bell and the e-mail, once per
    crossing. Returns whether the balance is low."""
    if not wants(account, 'low_balance') or not queue_low_balance(session, account):
        return False
    email_low_balance(session, account)
    return True


def check_key_limits(session: Session, account: Account, *, now: datetime | None = None) -> int:
    """Alert at 80 % and 100 % of each key's monthly limit, once per key, month and threshold (when a key
    jumps straight past 100 % only the 100 % alert is sent). Returns how many keys are over a threshold."""
    if not wants(account, 'key_limit'):
        return 0
    keys = list(
        session.exec(
            select(ApiKey).where(
                ApiKey.account_id == account.id, ApiKey.spend_limit_micros > 0, ApiKey.revoked_at.is_(None)
            )
        )
    )
    if not keys:
        return 0
    now = now or utcnow()
    usage = month_usage_by_key(session, account, now=now)
    over = 0
    for key in keys:
        used = usage.get(key.id, KeyMonth()).cost_micros
        crossed = [t for t in KEY_THRESHOLDS if used * 100 >= key.spend_limit_micros * t]
        if not crossed:
            continue
        over += 1
        content, body, month = mailer.key_limit_content(account, key, used, crossed[0], now)
        _notify(session, account, 'key_limit', f'key_limit:{key.id}:{month}:{crossed[0]}', '/keys', (content, body))
    return over


def weekly_summaries(now: datetime | None = None) -> int:
    """Last ISO week's summary for every account that wants one and had usage in it or the week before; at
    most one per account and week (dedupe key 'weekly:YYYY-Www' of the week summarised). Returns how many
    this call queued."""
    now = now or utcnow()
    with db.session_scope() as session:
        accounts = list(session.exec(select(Account).order_by(Account.id)))
    queued = 0
    for account in accounts:
        if not wants(account, 'weekly_summary'):
            continue
        with db.session_scope() as session:
            queued += weekly_summary(session, account, now=now)
    return queued


def weekly_summary(session: Session, account: Account, *, now: datetime | None = None) -> bool:
    week = mailer.last_week(account.timezone, now or utcnow())
    key = f'weekly:{week.label}'
    done = select(Notification.id).where(Notification.account_id == account.id, Notification.dedupe_key == key)
    if session.exec(done).first() is not None:
        return False
    this, before = week_stats(session, account.id, week.start, week.end), week_stats(session, account.id, *week.before)
    if not this.requests and not before.requests:
        return False
    content = mailer.summary_content(account, week, this, before, week_eco(session, account, week))
    _notify(session, account, 'weekly_summary', key, '/dashboard', content)
    return True


def week_eco(session: Session, account: Account, week: mailer.Week) -> EcoImpact | None:
    """The eco impact of exactly the week against the account's baseline (None when the catalog no longer has
    that model: the summary then goes without the comparison rather than not at all)."""
    try:
        return eco_impact(session, account, since=week.start, until=week.end)
    except ValueError as error:
        log.warning('weekly summary of account %s without the eco comparison: %s', account.id, error)
        return None


def week_stats(session: Session, account_id: int, start: datetime, end: datetime) -> mailer.WeekStats:
    found = usage(session, account_id, since=start, until=end, group_by=('model',))
    models = sorted(((u.model, u.requests, u.tokens, u.cost_micros, u.carbon_g) for u in found),
                    key=lambda row: (-row[2], row[0]))  # fmt: skip
    return mailer.WeekStats(
        requests=sum(m[1] for m in models),
        tokens=sum(m[2] for m in models),
        cost_micros=sum(m[3] for m in models),
        carbon_g=sum(m[4] for m in models),
        top_models=[(m[0], m[2], m[3]) for m in models[:3]],
    )


@dataclass(frozen=True)
class Claim:
    row: Outbox  # as claimed: status 'sending', attempts already counting this one
    account: Account | None
    document: Receipt | Invoice | None
    invoice_pdf: bytes | None = None  # the stored document of an invoice, read in the claiming transaction


def claim_due(now: datetime | None = None, limit: int = 20) -> list[Claim]:
    """Take up to `limit` due rows (pending and due, or sending with an expired lease) in one short
    transaction: several processes never claim the same row (SKIP LOCKED on PostgreSQL; SQLite's BEGIN
    IMMEDIATE serialises claims)."""
    now = now or utcnow()
    due = or_(
        and_(Outbox.status == 'pending', Outbox.next_attempt_at <= now),
        and_(Outbox.status == 'sending', or_(Outbox.claimed_until.is_(None), Outbox.claimed_until <= now)),
    )
    with db.session_scope() as session:
        query = select(Outbox).where(due).order_by(Outbox.next_attempt_at, Outbox.id).limit(limit)
        if session.get_bind().dialect.name == 'postgresql':
            query = query.with_for_update(skip_locked=True)
        claims = []
        for row in session.exec(query).all():
            row.status, row.claimed_until, row.attempts = 'sending', now + LEASE, row.attempts + 1
            session.add(row)
            document = {'receipt': Receipt, 'invoice': Invoice}.get(row.attachment_kind or '')
            found = session.get(document, row.attachment_id) if document and row.attachment_id else None
            pdf = invoice_document(session, found) if isinstance(found, Invoice) else None
            claims.append(Claim(row, session.get(Account, row.account_id), found, pdf))
        session.flush()
    return claims


def deliver_due(now: datetime | None = None, limit: int = 20) -> int:
    """Claim due e-mails, send each outside any transaction, then mark it sent or schedule its retry.
    Returns how many were sent. Nothing happens while SMTP is not configured."""
    settings = mailer.smtp_settings()
    if settings is None:
        return 0
    sent = 0
    for claim in claim_due(now, limit):
        try:
            mailer.send(settings, _message(settings, claim))
        except Exception as error:  # refused, unreachable, a missing document: retried with backoff
            _finish(claim, now, error)
        else:
            _finish(claim, now, None)
            sent += 1
    return sent


def retry_delay(attempts: int) -> timedelta:
    """1 min after the first failed attempt, then 2, 4, 8 ... capped at 1 h."""
    return timedelta(seconds=min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY))


def _message(settings: mailer.SmtpSettings, claim: Claim):
    row = claim.row
    attachment = None
    if row.attachment_kind:
        if claim.document is None or claim.account is None:
            raise LookupError(f'{row.attachment_kind} {row.attachment_id} no longer exists')
        # an invoice goes out as the same stored bytes the invoices page serves; a receipt is rendered
        pdf = receipt_pdf(claim.account, claim.document) if isinstance(claim.document, Receipt) else claim.invoice_pdf
        attachment = (f'{claim.document.number}.pdf', pdf)
    return mailer.build_message(
        settings,
        outbox_id=row.id,
        account_id=row.account_id,
        to=row.to_address,
        subject=row.subject,
        text=row.text_body,
        html=row.html_body,
        created_at=row.created_at,
        attachment=attachment,
    )


def _finish(claim: Claim, now: datetime | None, error: Exception | None) -> None:
    """Record the attempt, unless the lease was lost meanwhile (another process re-claimed the row)."""
    row, moment = claim.row, now or utcnow()
    if error is None:
        values = {'status': 'sent', 'sent_at': moment, 'claimed_until': None, 'last_error': None}
    else:
        message = f'{type(error).__name__}: {error}'[:500]
        final = row.attempts >= MAX_ATTEMPTS
        log.warning(
            'e-mail %s (%s) to %s failed, attempt %d of %d%s: %s',
            row.id, row.kind, row.to_address, row.attempts, MAX_ATTEMPTS, ', giving up' if final else '', message,
        )  # fmt: skip
        values = {'status': 'failed' if final else 'pending', 'claimed_until': None, 'last_error': message}
        if not final:
            values['next_attempt_at'] = moment + retry_delay(row.attempts)
    with db.session_scope() as session:
        result = session.execute(
            update(Outbox)
            .where(Outbox.id == row.id, Outbox.status == 'sending', Outbox.attempts == row.attempts)
            .values(**values)
        )
    if not result.rowcount:
        log.warning('e-mail %s: the lease expired before the attempt finished; another run took it over', row.id)


_last_check: dict[int, float] = {}
CHECK_EVERY = 60.0  # seconds between balance checks per account on the ingestion path


def check_low_balance_soon(session: Session, account: Account) -> None:
    """On the hot ingestion path: check the balance at most once a minute per account and process."""
    now = time.monotonic()
    if now - _last_check.get(account.id, -CHECK_EVERY) >= CHECK_EVERY:
        _last_check[account.id] = now
        notify_low_balance(session, account)  # the bell, and e-mail when configured and wanted
        check_key_limits(session, account)
