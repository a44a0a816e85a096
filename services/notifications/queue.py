"""The bell's notifications: queued once per event, listed and counted (outbox.py adds e-mail and the checks)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from services import locales
from services.models import Account, LedgerEntry, Notification, utcnow
from services.money import format_money


def queue(
    session: Session, account: Account, *, kind: str, title: str, body: str, link: str | None, dedupe_key: str
) -> None:
    """Insert unless an event with the same dedupe key was queued before (safe under concurrency)."""
    insert = {'sqlite': sqlite.insert, 'postgresql': postgresql.insert}[session.get_bind().dialect.name]
    statement = insert(Notification).values(
        account_id=account.id, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key, created_at=utcnow()
    )
    session.execute(statement.on_conflict_do_nothing(index_elements=['account_id', 'dedupe_key']))


def queue_low_balance(session: Session, account: Account) -> bool:
    """Queue one low-balance notification per crossing of the threshold (a top-up re-arms it)."""
    from services.billing.ledger import credit_balance

    balance = credit_balance(session, account)
    if balance >= account.low_balance_threshold_micros:
        return False
    loc = locales.of(account)
    last_top_up = session.exec(select(func.max(LedgerEntry.id)).where(LedgerEntry.account_id == account.id)).one()
    queue(
        session,
        account,
        kind='low_balance',
        title='Low balance',
        body=(
            f'Your balance is {format_money(balance, account.currency, locale=loc)}, below your threshold of '
            f'{format_money(account.low_balance_threshold_micros, account.currency, locale=loc)}.'
        ),
        link='/credits',
        dedupe_key=f'low_balance:after:{last_top_up or 0}',
    )
    return True


def notifications(session: Session, account_id: int, *, limit: int = 50) -> list[Notification]:
    return list(
        session.exec(
            select(Notification)
            .where(Notification.account_id == account_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, account_id: int) -> int:
    return session.exec(
        select(func.count()).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    ).one()
