"""Deleting an account: every row it owns in every table, then the account, in the caller's one transaction."""

from __future__ import annotations

from sqlalchemy import delete
from sqlmodel import Session, select

from services.errors import InvalidInput
from services.models import ACCOUNT_TABLES, Account


class AccountDeletionError(InvalidInput, ValueError):
    """The deletion was refused and nothing was deleted; `field` names the input to fix."""


def check_confirmation(session: Session, account_id: int, confirm_name: str | None) -> Account:
    """The account, if `confirm_name` is its name exactly (surrounding spaces aside); refuses otherwise."""
    account = session.get(Account, account_id)
    if account is None:
        raise AccountDeletionError('account', f'there is no account {account_id}')
    if (confirm_name or '').strip() != account.name.strip():
        raise AccountDeletionError(
            'confirm_name', f'that is not the account name; type “{account.name}” exactly to confirm'
        )
    return account


def delete_account(session: Session, account_id: int, confirm_name: str | None) -> dict[str, int]:
    """Delete every row of the account (children first, see ACCOUNT_TABLES) and then the account itself.

    Runs in the caller's transaction and does not commit: the deletion is all or nothing. The account row is
    locked first (FOR UPDATE on PostgreSQL; SQLite already holds the write lock), so a concurrent write for
    this account waits and then fails instead of leaving an orphan. Returns the rows deleted per table.
    """
    session.exec(select(Account.id).where(Account.id == account_id).with_for_update()).all()
    account = check_confirmation(session, account_id, confirm_name)
    counts: dict[str, int] = {}
    for table in ACCOUNT_TABLES:
        result = session.execute(delete(table).where(table.account_id == account.id))
        counts[table.__tablename__] = result.rowcount
    result = session.execute(delete(Account).where(Account.id == account.id))
    counts[Account.__tablename__] = result.rowcount
    return counts
