"""Hourly rollups (UsageHour): every widget and report reads these, never a scan of generations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from services.models import Generation, UsageHour

BUCKET = ('account_id', 'hour', 'api_key_id', 'model', 'provider', 'region', 'methodology_version')
SUMS = (
    'requests',
    'prompt_tokens',
    'completion_tokens',
    'cost_micros',
    'energy_wh_low',
    'energy_wh',
    'energy_wh_high',
    'carbon_g_low',
    'carbon_g',
    'carbon_g_high',
    'estimated_requests',
    'estimated_energy_wh',
)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def add_to_rollups(session: Session, generations: Iterable[Mapping[str, Any]]) -> None:
    """Add generations (as column dicts) to their buckets with one upsert per bucket."""
    buckets: dict[tuple, dict[str, Any]] = {}
    for g in generations:
        key = (
            g['account_id'],
            hour_of(g['created_at']),
            g['api_key_id'] or 0,
            g['model'],
            g['provider'],
            g['region'],
            g['methodology_version'],
        )
        row = buckets.get(key)
        if row is None:
            row = buckets[key] = dict(zip(BUCKET, key, strict=True)) | dict.fromkeys(SUMS, 0)
        row['requests'] += 1
        for column in ('prompt_tokens', 'completion_tokens', 'cost_micros'):
            row[column] += g[column]
        for column in ('energy_wh_low', 'energy_wh', 'energy_wh_high', 'carbon_g_low', 'carbon_g', 'carbon_g_high'):
            row[column] += g[column]
        if g['estimated']:
            row['estimated_requests'] += 1
            row['estimated_energy_wh'] += g['energy_wh']
    if buckets:
        _upsert(session, list(buckets.values()))


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    dialect = session.get_bind().dialect.name
    insert = {'sqlite': sqlite.insert, 'postgresql': postgresql.insert}[dialect]
    table = UsageHour.__table__
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(BUCKET),
        set_={column: table.c[column] + statement.excluded[column] for column in SUMS},
    )
    session.execute(statement, rows)


def rebuild_rollups(session: Session, account_id: int) -> int:
    """Recompute an account's rollups from its generations (a repair tool; must equal the incremental ones)."""
    session.execute(delete(UsageHour).where(UsageHour.account_id == account_id))
    batch: list[dict[str, Any]] = []
    count = 0
    columns = [
        Generation.account_id,
        Generation.created_at,
        Generation.api_key_id,
        Generation.model,
        Generation.provider,
        Generation.region,
        Generation.methodology_version,
        Generation.prompt_tokens,
        Generation.completion_tokens,
        Generation.cost_micros,
        Generation.energy_wh_low,
        Generation.energy_wh,
        Generation.energy_wh_high,
        Generation.carbon_g_low,
        Generation.carbon_g,
        Generation.carbon_g_high,
        Generation.estimated,
    ]
    result = session.execute(
        select(*columns).where(Generation.account_id == account_id).execution_options(yield_per=5000)
    )
    for row in result.mappings():
        batch.append(dict(row))
        count += 1
        if len(batch) >= 5000:
            add_to_rollups(session, batch)
            batch = []
    add_to_rollups(session, batch)
    return count


def rollup_total(session: Session, account_id: int, column: str) -> Any:
    return session.exec(
        select(func.coalesce(func.sum(getattr(UsageHour, column)), 0)).where(UsageHour.account_id == account_id)
    ).one()
