"""Hourly rollups: every widget and report reads these, never a scan of generations.

Two tables, both written in the transaction that stores their generations:
- usage_hour (UsageHour): per hour x key x model x provider x region x methodology; all generations.
- route_hour (RouteHour): per hour x key x requested model x where it ran; completed generations only,
  what the what-if preview replays.

`rebuild_rollups` recomputes both from the raw generations and must reproduce the incremental ones
exactly; hours whose raw generations were pruned (before account.pruned_before) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from services.models import Account, Generation, RouteHour, UsageHour

ENERGY = ('energy_wh_low', 'energy_wh', 'energy_wh_high', 'carbon_g_low', 'carbon_g', 'carbon_g_high')


@dataclass(frozen=True)
class Rollup:
    table: type[SQLModel]
    bucket: tuple[str, ...]  # columns of the unique bucket, 'hour' computed from created_at
    sums: tuple[str, ...]
    completed_only: bool


USAGE = Rollup(
    UsageHour,
    ('account_id', 'hour', 'api_key_id', 'model', 'provider', 'region', 'methodology_version'),
    ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', *ENERGY)
    + ('estimated_requests', 'estimated_energy_wh'),
    completed_only=False,
)
ROUTE = Rollup(
    RouteHour,
    ('account_id', 'hour', 'api_key_id', 'requested_model', 'model', 'provider', 'region'),
    ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', 'energy_wh', 'carbon_g'),
    completed_only=True,
)
ROLLUPS = (USAGE, ROUTE)
BUCKET, SUMS = USAGE.bucket, USAGE.sums  # the usage rollup, which most readers mean
RAW_COLUMNS = ('account_id', 'created_at', 'api_key_id', 'requested_model', 'model', 'provider', 'region')
RAW_COLUMNS += ('methodology_version', 'status', 'prompt_tokens', 'completion_tokens', 'cost_micros', *ENERGY)
RAW_COLUMNS += ('estimated',)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def add_to_rollups(session: Session, generations: Iterable[Mapping[str, Any]]) -> None:
    """Add generations (as column dicts) to their buckets with one upsert per bucket and table."""
    generations = list(generations)
    for rollup in ROLLUPS:
        rows = _buckets(rollup, generations)
        if rows:
            _upsert(session, rollup, rows)


def _buckets(rollup: Rollup, generations: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    buckets: dict[tuple, dict[str, Any]] = {}
    for g in generations:
        if rollup.completed_only and g.get('status', 'completed') != 'completed':
            continue
        key = tuple(
            hour_of(g['created_at']) if c == 'hour' else (g[c] or 0) if c == 'api_key_id' else g[c]
            for c in rollup.bucket
        )
        row = buckets.get(key)
        if row is None:
            row = buckets[key] = dict(zip(rollup.bucket, key, strict=True)) | dict.fromkeys(rollup.sums, 0)
        row['requests'] += 1
        for column in rollup.sums:
            if column in g:
                row[column] += g[column]
        if 'estimated_requests' in row and g['estimated']:
            row['estimated_requests'] += 1
            row['estimated_energy_wh'] += g['energy_wh']
    return list(buckets.values())


def _upsert(session: Session, rollup: Rollup, rows: list[dict[str, Any]]) -> None:
    session.execute(_upsert_statement(rollup, session.get_bind().dialect.name), rows)


@cache
def _upsert_statement(rollup: Rollup, dialect: str):
    """INSERT ... ON CONFLICT (bucket) DO UPDATE SET sum = sum + excluded.sum (built once: it is not cheap)."""
    insert = {'sqlite': sqlite.insert, 'postgresql': postgresql.insert}[dialect]
    table = rollup.table.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(rollup.bucket),
        set_={column: table.c[column] + statement.excluded[column] for column in rollup.sums},
    )


def rebuild_rollups(session: Session, account_id: int, *, batch: int = 5000) -> int:
    """Recompute an account's rollups from its generations (a repair tool; must equal the incremental ones).

    Hours before the account's pruning horizon have no raw generations left: their buckets are kept.
    Returns the number of generations read."""
    account = session.get(Account, account_id)
    horizon = account.pruned_before if account is not None else None
    since = hour_of(horizon) + timedelta(hours=1) if horizon is not None and hour_of(horizon) != horizon else horizon
    for rollup in ROLLUPS:
        statement = delete(rollup.table).where(rollup.table.account_id == account_id)
        if since is not None:
            statement = statement.where(rollup.table.hour >= since)
        session.execute(statement)
    query = select(*(getattr(Generation, c) for c in RAW_COLUMNS)).where(Generation.account_id == account_id)
    if since is not None:
        query = query.where(Generation.created_at >= since)
    pending: list[dict[str, Any]] = []
    count = 0
    for row in session.execute(query.execution_options(yield_per=batch)).mappings():
        pending.append(dict(row))
        count += 1
        if len(pending) >= batch:
            add_to_rollups(session, pending)
            pending = []
    add_to_rollups(session, pending)
    return count


def rollup_total(session: Session, account_id: int, column: str) -> Any:
    return session.exec(
        select(func.coalesce(func.sum(getattr(UsageHour, column)), 0)).where(UsageHour.account_id == account_id)
    ).one()
