"""One round of the background work (workers/background.py runs it every 30 s, off the event loop): issue what is
due (closed months' invoices, low-balance and key-limit alerts, last week's summary) and deliver due e-mails.

Every step is idempotent and deduplicated in the database, so several app processes may run it at once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import select

from services import db
from services.billing.invoices import ensure_invoices
from services.models import Account, Invoice, utcnow
from services.notifications.outbox import (
    check_key_limits,
    deliver_due,
    email_invoice,
    notify_low_balance,
    weekly_summaries,
)

log = logging.getLogger('lowrouter')
RECENT_INVOICES = timedelta(days=32)  # only the last closed month's invoice is announced, never older ones


def run_once(now: datetime | None = None) -> int:
    """One round; returns how many e-mails were sent."""
    now = now or utcnow()
    sweep(now)
    weekly_summaries(now)
    return deliver_due(now=None)  # the current time at each step: sending takes a while


def sweep(now: datetime) -> None:
    """Per account, each in its own short transaction: the checks that otherwise only run when someone opens
    a page or records usage."""
    with db.session_scope() as session:
        account_ids = list(session.exec(select(Account.id).order_by(Account.id)))
    for account_id in account_ids:
        try:
            sweep_account(account_id, now)
        except Exception as error:  # one account's trouble must not hold up every other account's invoices
            log.warning('background round failed for account %d: %s', account_id, error, exc_info=True)


def sweep_account(account_id: int, now: datetime) -> None:
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        if account is None:  # deleted meanwhile
            return
        ensure_invoices(session, account, now=now)
        latest = session.exec(
            select(Invoice)
            .where(Invoice.account_id == account.id, Invoice.status == 'issued')
            .order_by(Invoice.period_start.desc())
        ).first()
        if latest is not None and latest.period_end >= now - RECENT_INVOICES:
            email_invoice(session, account, latest)
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        if account is not None:
            notify_low_balance(session, account)
            check_key_limits(session, account, now=now)
