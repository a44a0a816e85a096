"""Data retention: an account may keep its raw generations for a number of days only.

Pruning deletes the generation rows recorded before a cutoff, in whole UTC hours, so each hour's rollup is either
fully backed by raw rows or fully pruned. Balances, usage, reports and invoices read the rollups and the ledger,
never raw generations, so every total stays exactly what it was. Deleting runs in short batches, each its own
transaction, and is safe to run from several processes at once (a row another process is deleting is skipped;
deleting a deleted row does nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, select

from services import db
from services.errors import InvalidInput
from services.models import Account, Generation, UsageHour, utcnow
from services.usage.generation_ids import recorded_at

MAX_DAYS = 3650
BATCH = 5000

SessionSource = Session | Callable[[], AbstractContextManager[Session]]


class RetentionError(InvalidInput, ValueError):
    """A retention setting that was refused (nothing was written); `field` names the input to fix."""


@dataclass(frozen=True)
class RetentionStatus:
    retention_days: int | None  # None: every generation is kept
    pruned_before: datetime | None  # generations recorded before this instant have been deleted
    pruned_at: datetime | None  # when pruning last ran
    pruned_generations: int  # how many generations those deleted hours held (from the rollups)
    next_cutoff: datetime | None  # the next pruning deletes what was recorded before this
    awaiting_pruning: int  # generations older than next_cutoff that are still stored


@dataclass(frozen=True)
class Pruned:
    account_id: int
    account_name: str
    timezone: str
    retention_days: int
    deleted: int
    pruned_before: datetime | None


def validate_days(days: object) -> int | None:
    """None (keep everything) or a whole number of days from 1 to MAX_DAYS."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int):
        raise RetentionError(
            'retention_days', f'give a whole number of days from 1 to {MAX_DAYS:,}, or nothing to keep everything'
        )
    if not 1 <= days <= MAX_DAYS:
        raise RetentionError('retention_days', f'must be between 1 and {MAX_DAYS:,} days (ten years)')
    return days


def set_retention(session: Session, account: Account, days: int | None) -> Account:
    """Keep raw generations for `days` days (None: keep them all). Deleting happens at the next pruning."""
    days = validate_days(days)
    account = session.get(Account, account.id)  # the stored row, never a stale copy of the other settings
    if account is None:
        raise RetentionError('account', 'this account no longer exists')
    account.retention_days = days
    session.add(account)
    session.flush()
    return account


def cutoff_for(days: int, now: datetime) -> datetime:
    """The start of the UTC hour `days` days before `now`: pruning deletes whole hours only."""
    return (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)


def retention_status(session: Session, account: Account, *, now: datetime | None = None) -> RetentionStatus:
    """What the settings card and the API say about retention (counts from the hourly rollups, no scan)."""
    now = now or utcnow()
    next_cutoff = _delete_before(account, now)
    pruned = _requests(session, account.id, None, account.pruned_before) if account.pruned_before else 0
    return RetentionStatus(
        retention_days=account.retention_days,
        pruned_before=account.pruned_before,
        pruned_at=account.pruned_at,
        pruned_generations=pruned,
        next_cutoff=next_cutoff,
        awaiting_pruning=due_for_pruning(session, account, account.retention_days, now=now),
    )


def due_for_pruning(session: Session, account: Account, days: int | None, *, now: datetime | None = None) -> int:
    """How many stored generations a setting of `days` would delete at the next pruning."""
    if days is None:
        return 0
    cutoff = cutoff_for(days, now or utcnow())
    if account.pruned_before is not None and cutoff <= account.pruned_before:
        return 0
    return _requests(session, account.id, account.pruned_before, cutoff)


def prune(source: SessionSource, account: Account, now: datetime | None = None, batch: int = BATCH) -> int:
    """Delete the account's generations recorded before its cutoff; returns how many rows were deleted.

    `source` is a session (committed after each batch) or a factory of transactions such as db.session_scope.
    pruned_before moves first, in its own transaction, so a rollup rebuild running meanwhile already leaves the
    hours being deleted alone; pruned_at is set once every batch is done.
    """
    now = now or utcnow()
    scope = _scope_of(source)
    with scope() as session:
        row = _locked_account(session, account.id)
        if row is None or row.retention_days is None:
            return 0
        before = _delete_before(row, now)
        row.pruned_before = before
        session.add(row)
    deleted = 0
    while True:
        with scope() as session:
            ids = list(
                session.exec(
                    select(Generation.id)
                    .where(Generation.account_id == account.id, Generation.created_at < before)
                    .order_by(Generation.created_at, Generation.id)  # ix_generation_account_created
                    .limit(batch)
                    .with_for_update(skip_locked=True)  # PostgreSQL: leave rows another process is deleting
                )
            )
            if ids:
                result = session.execute(
                    delete(Generation)
                    .where(Generation.account_id == account.id, Generation.id.in_(ids))
                    .execution_options(synchronize_session='evaluate')  # forget deleted rows a caller's session holds
                )
                deleted += max(result.rowcount, 0)
        if len(ids) < batch:
            break
    with scope() as session:
        row = _locked_account(session, account.id)
        if row is not None:
            row.pruned_at = now
            session.add(row)
    return deleted


def prune_all(now: datetime | None = None) -> list[Pruned]:
    """Prune every account that has a retention setting, each in its own short transactions."""
    now = now or utcnow()
    with db.read_scope() as session:
        accounts = list(session.exec(select(Account).where(Account.retention_days.is_not(None)).order_by(Account.id)))
    results = []
    for account in accounts:
        deleted = prune(db.session_scope, account, now)
        with db.read_scope() as session:
            fresh = session.get(Account, account.id)
        if fresh is None:  # deleted meanwhile
            continue
        results.append(
            Pruned(fresh.id, fresh.name, fresh.timezone, account.retention_days, deleted, fresh.pruned_before)
        )
    return results


def was_pruned(account: Account, generation_id: str, *, session: Session | None = None) -> bool:
    """Whether `generation_id` is gone because of pruning: it is not stored, and it was issued before the last
    pruning ran (so it existed then). An id this installation never issued is not "pruned"."""
    issued = recorded_at(generation_id)
    if account.pruned_at is None or issued is None or issued >= account.pruned_at:
        return False
    if session is None:
        with db.read_scope() as reader:
            return reader.get(Generation, generation_id) is None
    return session.get(Generation, generation_id) is None


def _delete_before(account: Account, now: datetime) -> datetime | None:
    """The cutoff of the next pruning, never earlier than what was already pruned (a late-recorded old
    generation is deleted too, so pruned_before stays true)."""
    if account.retention_days is None:
        return None
    cutoff = cutoff_for(account.retention_days, now)
    return max(cutoff, account.pruned_before) if account.pruned_before else cutoff


def _requests(session: Session, account_id: int, since: datetime | None, before: datetime) -> int:
    query = select(func.coalesce(func.sum(UsageHour.requests), 0)).where(
        UsageHour.account_id == account_id, UsageHour.hour < before
    )
    if since is not None:
        query = query.where(UsageHour.hour >= since)
    return int(session.exec(query).one())


def _locked_account(session: Session, account_id: int) -> Account | None:
    return session.exec(
        select(Account).where(Account.id == account_id).with_for_update().execution_options(populate_existing=True)
    ).first()


def _scope_of(source: SessionSource) -> Callable[[], AbstractContextManager[Session]]:
    if not isinstance(source, Session):
        return source

    @contextmanager
    def scope() -> Iterator[Session]:
        try:
            yield source
            source.commit()
        except BaseException:
            source.rollback()
            raise

    return scope
