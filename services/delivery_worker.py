"""The background loop app.py starts: every 30 s, off the event loop, it issues what is due (closed months'
invoices, low-balance and key-limit alerts, last week's summary) and delivers due e-mails.

Every step is idempotent and deduplicated in the database, so several app processes may run it at once.
A failing round is logged as a warning and retried on the next one; the loop ends with the app.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from nicegui import app, background_tasks, run
from sqlmodel import select

from services import db
from services.invoices import ensure_invoices
from services.models import Account, Invoice, utcnow
from services.outbox import check_key_limits, deliver_due, email_invoice, notify_low_balance, weekly_summaries

log = logging.getLogger('lowrouter')

INTERVAL = 30.0  # seconds between rounds
FIRST_ROUND_AFTER = 5.0  # let start-up and the first page loads go first
RECENT_INVOICES = timedelta(days=32)  # only the last closed month's invoice is announced, never older ones

_task: asyncio.Task | None = None


def start() -> None:
    """Start the loop once per process (for app.on_startup)."""
    global _task
    if _task is None or _task.done():
        _task = background_tasks.create(_loop(), name='lowrouter delivery')


async def _loop() -> None:
    await asyncio.sleep(FIRST_ROUND_AFTER)
    while not (app.is_stopping or app.is_stopped):
        try:
            await run.io_bound(run_once)
        except Exception as error:  # the database or the SMTP server is away: try again next round
            log.warning('notifications round failed, retrying in %.0f s: %s', INTERVAL, error, exc_info=True)
        await asyncio.sleep(INTERVAL)


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
        with db.session_scope() as session:
            account = session.get(Account, account_id)
            if account is None:  # deleted meanwhile
                continue
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
