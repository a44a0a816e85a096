"""Bringing stored eco figures up to the current methodology (`python app.py eco-recompute`).

Every generation whose stamp is not eco.METHODOLOGY_VERSION is estimated again from its own model, provider,
region, tokens and latency, a batch at a time. Each batch is one transaction, all or nothing:
- the generations get their new columns (energy, carbon, embodied, grid, PUE, stamp, estimated);
- their old figures leave their usage_hour and usage_day buckets and the new ones enter the buckets of the
  current methodology (requests, tokens and cost move with them, so those totals do not change); an old bucket
  left empty is deleted;
- route_hour, which has no methodology, changes by the difference.

It runs beside the app: ingestion only writes current rows, which this never touches. The batch's accounts are
share-locked and its generations locked (PostgreSQL; SQLite has one writer), and a generation deleted in between
(retention, account deletion) is skipped. It works from what is stored, so an interrupted run resumes where it
stopped and a second run finds nothing to do.

What cannot be recomputed is left as it is and counted: generations of a model the catalog no longer lists, and
hourly buckets before an account's retention horizon (their generations are deleted).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from services import db
from services.catalog import Catalog, get_catalog
from services.eco import estimate as eco
from services.models import Account, Generation, UsageHour
from services.usage.rollups import RAW_COLUMNS, move_in_rollups

BATCH = 2000
RETRIES = 5  # a batch PostgreSQL aborted to break a deadlock (or a serialization failure) is tried again
ROW_COLUMNS = ('id', *RAW_COLUMNS)  # what a batch reads of each generation: its buckets and their sums
INPUTS = ('id', 'account_id', 'model', 'provider', 'region', 'prompt_tokens', 'completion_tokens', 'latency_ms')
TRANSIENT = frozenset({'40P01', '40001'})  # PostgreSQL: deadlock detected, serialization failure

Progress = Callable[[int, int], None]  # (generations done, generations to do)


@dataclass
class Outcome:
    to_recompute: int  # generations of an older methodology with a known model, at the start
    recomputed: int = 0
    vanished: int = 0  # deleted meanwhile (retention pruning, account deletion)
    batches: int = 0
    unknown_models: dict[str, int] = field(default_factory=dict)  # model no longer in the catalog: generations
    kept_buckets: dict[str, int] = field(default_factory=dict)  # stamp: hourly buckets before a retention horizon
    finished: bool = False  # False when `limit` stopped it first

    @property
    def done(self) -> int:
        return self.recomputed + self.vanished


def recompute(
    *,
    account_id: int | None = None,
    batch: int = BATCH,
    limit: int | None = None,
    progress: Progress | None = None,
    catalog: Catalog | None = None,
) -> Outcome:
    """Recompute every generation of an older methodology (of one account, or all), `batch` at a time, each batch
    in its own transaction. `limit`: stop after that many generations (the next run goes on from there)."""
    if batch < 1:
        raise ValueError('batch must be at least 1')
    catalog = catalog or get_catalog()
    known = sorted(catalog.models)
    with db.read_scope() as session:
        outcome = Outcome(to_recompute=_count(session, account_id, known))
        outcome.unknown_models = _unknown_models(session, account_id, known)
    if progress is not None:
        progress(0, outcome.to_recompute)
    after = ''  # ids are compared as text: every id sorts after ''
    while limit is None or outcome.done < limit:
        size = batch if limit is None else min(batch, limit - outcome.done)
        with db.read_scope() as session:  # read and estimate outside the write transaction: it stays short
            found = session.execute(_candidates(account_id, known, after, size)).mappings().all()
        if not found:
            outcome.finished = True
            break
        after = found[-1]['id']
        recomputed = _apply_with_retries([dict(row) for row in found], _estimates(catalog, found))
        outcome.recomputed += recomputed
        outcome.vanished += len(found) - recomputed
        outcome.batches += 1
        outcome.to_recompute = max(outcome.to_recompute, outcome.done)  # an old app process may still write eco-1
        if progress is not None:
            progress(outcome.done, outcome.to_recompute)
    if outcome.finished:
        with db.read_scope() as session:
            outcome.kept_buckets = _kept_buckets(session, account_id)
    return outcome


def short_name(version: str) -> str:
    """'eco-1' of 'eco-1 (EcoLogits 0.11.3)': the method of a stamp."""
    return version.split(' ', 1)[0]


def _count(session: Session, account_id: int | None, known: list[str]) -> int:
    query = select(func.count()).select_from(Generation).where(*_older(account_id), Generation.model.in_(known))
    return session.exec(query).one()


def _unknown_models(session: Session, account_id: int | None, known: list[str]) -> dict[str, int]:
    query = (
        select(Generation.model, func.count())
        .where(*_older(account_id), Generation.model.not_in(known))
        .group_by(Generation.model)
        .order_by(Generation.model)
    )
    return {model: count for model, count in session.exec(query)}


def _older(account_id: int | None) -> list:
    conditions = [Generation.methodology_version != eco.METHODOLOGY_VERSION]
    if account_id is not None:
        conditions.append(Generation.account_id == account_id)
    return conditions


def _candidates(account_id: int | None, known: list[str], after: str, size: int):
    """The next `size` generations to recompute after id `after`, in id order (the primary key's)."""
    return (
        select(*(getattr(Generation, c) for c in INPUTS))
        .where(*_older(account_id), Generation.model.in_(known), Generation.id > after)
        .order_by(Generation.id)
        .limit(size)
    )


def _estimates(catalog: Catalog, found) -> dict[str, dict[str, Any]]:
    """id -> the generation's new columns (requests alike share one estimate)."""
    memo: dict[tuple, dict[str, Any]] = {}
    columns = {}
    for row in found:
        inputs = tuple(row[c] for c in INPUTS[2:])
        if inputs not in memo:
            model, provider, region, prompt, completion, latency = inputs
            impact = eco.estimate(
                catalog, model, provider, region, completion, prompt_tokens=prompt, latency_ms=latency
            )
            memo[inputs] = impact.columns()
        columns[row['id']] = memo[inputs]
    return columns


def _apply_with_retries(found: list[dict[str, Any]], estimates: dict[str, dict[str, Any]]) -> int:
    for attempt in range(RETRIES):
        try:
            with db.session_scope() as session:
                return _apply(session, found, estimates)
        except OperationalError as error:
            if getattr(error.orig, 'sqlstate', None) not in TRANSIENT or attempt == RETRIES - 1:
                raise
    raise AssertionError('unreachable')


def _apply(session: Session, found: list[dict[str, Any]], estimates: dict[str, dict[str, Any]]) -> int:
    """One batch in the caller's transaction: lock, update the generations, move their rollup sums. Returns how
    many generations it recomputed (those deleted or recomputed by someone else meanwhile are skipped)."""
    accounts = sorted({row['account_id'] for row in found})
    # share-lock the accounts first: a deletion of one waits for this batch (and this batch for it), instead of
    # both locking rollups and generations in opposite orders
    session.exec(
        select(Account.id)
        .where(Account.id.in_(accounts))
        .order_by(Account.id)
        .with_for_update(read=True, key_share=True)
    ).all()
    query = (
        select(*(getattr(Generation, c) for c in ROW_COLUMNS))
        .where(Generation.id.in_(list(estimates)), Generation.methodology_version != eco.METHODOLOGY_VERSION)
        .order_by(Generation.id)
        .with_for_update()
    )
    old = [dict(row) for row in session.execute(query).mappings()]
    if not old:
        return 0
    new = [row | estimates[row['id']] for row in old]
    table = Generation.__table__
    changed = list(estimates[old[0]['id']])
    statement = update(table).where(table.c.id == bindparam('b_id')).values({c: bindparam(f'b_{c}') for c in changed})
    session.execute(statement, [{'b_id': row['id']} | _prefixed(estimates[row['id']]) for row in old])
    move_in_rollups(session, old, new)
    return len(old)


def _prefixed(columns: dict[str, Any]) -> dict[str, Any]:
    return {f'b_{c}': value for c, value in columns.items()}


def _kept_buckets(session: Session, account_id: int | None) -> dict[str, int]:
    """Stamp -> hourly buckets of an older methodology before their account's retention horizon (their
    generations are deleted, so they cannot be recomputed)."""
    query = (
        select(UsageHour.methodology_version, func.count())
        .join(Account, Account.id == UsageHour.account_id)
        .where(
            UsageHour.methodology_version != eco.METHODOLOGY_VERSION,
            Account.pruned_before.is_not(None),
            UsageHour.hour < Account.pruned_before,
        )
        .group_by(UsageHour.methodology_version)
        .order_by(UsageHour.methodology_version)
    )
    if account_id is not None:
        query = query.where(UsageHour.account_id == account_id)
    return {version: count for version, count in session.exec(query)}
