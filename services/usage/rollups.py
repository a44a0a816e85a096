"""Rollups: every widget and report reads these, never a scan of generations.

Three tables, all written in the transaction that stores their generations:
- usage_hour (UsageHour): per hour x key x model x provider x region x methodology x status; all generations
  (status: completed, failed or cancelled, set once when a generation is recorded).
- usage_day (UsageDay): the same per UTC day, for long windows (see `usage_buckets`).
- route_hour (RouteHour): per hour x key x requested model x where it ran; completed generations only,
  what the what-if preview replays.

`rebuild_rollups` recomputes them from the raw generations and must reproduce the incremental ones
exactly; buckets whose raw generations were pruned (before account.pruned_before) are kept as they are.
`move_in_rollups` moves generations whose eco figures were recomputed (services/eco/recompute.py).
services/usage/query.py is where the usage rollups are summed: every total of usage is read through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import delete, func, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from services.models import Account, Generation, RouteHour, UsageDay, UsageHour

ENERGY = ('energy_wh_low', 'energy_wh', 'energy_wh_high', 'carbon_g_low', 'carbon_g', 'carbon_g_high')
ENERGY += ('embodied_g_low', 'embodied_g', 'embodied_g_high')  # the manufacturing part of carbon_g (eco-2 on)


@dataclass(frozen=True)
class Rollup:
    table: type[SQLModel]
    bucket: tuple[str, ...]  # columns of the unique bucket; 'hour' or 'day' is computed from created_at
    sums: tuple[str, ...]
    completed_only: bool

    @property
    def period(self) -> str:
        return 'day' if 'day' in self.bucket else 'hour'

    def start_of(self, moment: datetime) -> datetime:
        return day_of(moment) if self.period == 'day' else hour_of(moment)

    def first_whole(self, moment: datetime) -> datetime:
        """The first bucket that starts at or after `moment`."""
        start = self.start_of(moment)
        return start if start == moment else start + (timedelta(days=1) if self.period == 'day' else timedelta(hours=1))


USAGE = Rollup(
    UsageHour,
    ('account_id', 'hour', 'api_key_id', 'model', 'provider', 'region', 'methodology_version', 'status'),
    ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', *ENERGY)
    + ('estimated_requests', 'estimated_energy_wh'),
    completed_only=False,
)
DAILY = Rollup(
    UsageDay,
    ('account_id', 'day', 'api_key_id', 'model', 'provider', 'region', 'methodology_version', 'status'),
    USAGE.sums,
    completed_only=False,
)
ROUTE = Rollup(
    RouteHour,
    ('account_id', 'hour', 'api_key_id', 'requested_model', 'model', 'provider', 'region'),
    ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', 'energy_wh', 'carbon_g'),
    completed_only=True,
)
ROLLUPS = (USAGE, DAILY, ROUTE)
BUCKET, SUMS = USAGE.bucket, USAGE.sums  # the usage rollup, which most readers mean
RAW_COLUMNS = ('account_id', 'created_at', 'api_key_id', 'requested_model', 'model', 'provider', 'region')
RAW_COLUMNS += ('methodology_version', 'status', 'prompt_tokens', 'completion_tokens', 'cost_micros', *ENERGY)
RAW_COLUMNS += ('estimated',)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_of(moment: datetime) -> datetime:
    """00:00 UTC of `moment`'s UTC day (times here are UTC)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def add_to_rollups(
    session: Session, generations: Iterable[Mapping[str, Any]], rollups: Iterable[Rollup] = ROLLUPS
) -> None:
    """Add generations (as column dicts) to their buckets with one upsert per bucket and table."""
    generations = list(generations)
    for rollup in rollups:
        rows = _buckets(rollup, generations)
        if rows:
            _upsert(session, rollup, rows)


def move_in_rollups(
    session: Session,
    old: Iterable[Mapping[str, Any]],
    new: Iterable[Mapping[str, Any]],
    rollups: Iterable[Rollup] = ROLLUPS,
) -> None:
    """Generations whose columns changed (as column dicts, before and after): the old rows leave their buckets
    and the new ones enter theirs, in one upsert per table. Where a bucket is the same before and after (route_hour,
    which has no methodology), only the difference is written; a usage bucket that the move leaves empty is
    deleted (the methodology of its generations changed: nothing remains under the old one)."""
    old, new = list(old), list(new)
    for rollup in rollups:
        moved: dict[tuple, dict[str, Any]] = {}
        for sign, generations in ((-1, old), (1, new)):
            for row in _buckets(rollup, generations):
                key = tuple(row[c] for c in rollup.bucket)
                into = moved.setdefault(key, dict(zip(rollup.bucket, key, strict=True)) | dict.fromkeys(rollup.sums, 0))
                for column in rollup.sums:
                    into[column] += sign * row[column]
        if moved:
            _upsert(session, rollup, [moved[key] for key in sorted(moved)])  # sorted: see _buckets
        if old and 'methodology_version' in rollup.bucket:
            _delete_empty(session, rollup, old)


EMPTY = 1e-6  # Wh or g: what float rounding may leave in a bucket whose every generation left it


def _delete_empty(session: Session, rollup: Rollup, generations: list[Mapping[str, Any]]) -> None:
    """Delete the buckets of these generations' accounts, periods and methodologies that hold nothing."""
    table = rollup.table
    period = getattr(table, rollup.period)
    statement = delete(table).where(
        table.account_id.in_(sorted({g['account_id'] for g in generations})),
        period.in_(sorted({rollup.start_of(g['created_at']) for g in generations})),
        table.methodology_version.in_(sorted({g['methodology_version'] for g in generations})),
    )
    for column in rollup.sums:
        value = getattr(table, column)
        is_float = column in ENERGY or column == 'estimated_energy_wh'
        statement = statement.where(func.abs(value) <= EMPTY if is_float else value == 0)
    session.execute(statement.execution_options(synchronize_session=False))


def _buckets(rollup: Rollup, generations: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    key_of, sums = _bucket_key(rollup), _summed(rollup)
    counts_estimates = 'estimated_requests' in rollup.sums
    buckets: dict[tuple, dict[str, Any]] = {}
    for g in generations:
        if rollup.completed_only and g.get('status', 'completed') != 'completed':
            continue
        key = key_of(g)
        row = buckets.get(key)
        if row is None:
            row = buckets[key] = dict(zip(rollup.bucket, key, strict=True)) | dict.fromkeys(rollup.sums, 0)
        row['requests'] += 1
        for column in sums:
            if column in g:
                row[column] += g[column]
        if counts_estimates and g['estimated']:
            row['estimated_requests'] += 1
            row['estimated_energy_wh'] += g['energy_wh']
    # one order for every writer: concurrent transactions then lock shared buckets in the same order and
    # wait for each other instead of deadlocking (PostgreSQL aborts one of a deadlocked pair)
    return [buckets[key] for key in sorted(buckets)]


@cache
def _bucket_key(rollup: Rollup) -> Callable[[Mapping[str, Any]], tuple]:
    """A generation's bucket in `rollup`, as the tuple of its bucket columns (built once per rollup: a batch of
    500 generations asks 1 500 times)."""
    getters = [_bucket_value(rollup, column) for column in rollup.bucket]
    return lambda generation: tuple([get(generation) for get in getters])


@cache
def _summed(rollup: Rollup) -> tuple[str, ...]:
    """The sums taken from the generation's own columns (the others are counted)."""
    return tuple(c for c in rollup.sums if c not in ('requests', 'estimated_requests', 'estimated_energy_wh'))


def _bucket_value(rollup: Rollup, column: str) -> Callable[[Mapping[str, Any]], Any]:
    if column == rollup.period:
        start_of = day_of if rollup.period == 'day' else hour_of
        return lambda generation: start_of(generation['created_at'])
    if column == 'api_key_id':
        return lambda generation: generation['api_key_id'] or 0
    if column == 'status':
        return lambda generation: generation.get('status') or 'completed'
    return itemgetter(column)


def _upsert(session: Session, rollup: Rollup, rows: list[dict[str, Any]]) -> None:
    # on the session's connection (same transaction): a Core statement gains nothing from the ORM's execute
    session.connection().execute(_upsert_statement(rollup, session.get_bind().dialect.name), rows)


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

    Buckets that began before the account's pruning horizon lack raw generations: they are kept.
    Returns the number of generations read."""
    account = session.get(Account, account_id)
    horizon = account.pruned_before if account is not None else None
    since = {r: r.first_whole(horizon) if horizon is not None else None for r in ROLLUPS}
    for rollup, start in since.items():
        statement = delete(rollup.table).where(rollup.table.account_id == account_id)
        if start is not None:
            statement = statement.where(getattr(rollup.table, rollup.period) >= start)
        session.execute(statement)
    query = select(*(getattr(Generation, c) for c in RAW_COLUMNS)).where(Generation.account_id == account_id)
    if horizon is not None:
        query = query.where(Generation.created_at >= min(since.values()))
    pending: list[dict[str, Any]] = []
    count = 0
    for row in session.execute(query.execution_options(yield_per=batch)).mappings():
        pending.append(dict(row))
        count += 1
        if len(pending) >= batch:
            _add_after(session, pending, since)
            pending = []
    _add_after(session, pending, since)
    return count


def _add_after(session: Session, rows: list[dict[str, Any]], since: dict[Rollup, datetime | None]) -> None:
    for rollup, start in since.items():
        kept = rows if start is None else [r for r in rows if r['created_at'] >= start]
        add_to_rollups(session, kept, (rollup,))


WINDOW_COLUMNS = ('account_id', 'api_key_id', 'model', 'provider', 'region', 'methodology_version', 'status')
WINDOW_COLUMNS += USAGE.sums


def usage_buckets(
    account_id: int, since: datetime | None = None, until: datetime | None = None, *, hourly: bool = False
):
    """The usage buckets of an account that start in [since, until) (None: no bound), as a subquery with
    UsageHour's columns and the bucket's start as `period`: whole UTC days from usage_day, the ragged hours on
    the edges from usage_hour (every bucket from usage_hour when `hourly`). An hour bucket belongs to the window
    its start falls in, so consecutive windows never share or lose one. The cost of reading it grows with the
    days in the window, not with the generations in them. services/usage/query.py sums it."""
    first_day = None if since is None else DAILY.first_whole(since)  # whole days: first_day <= day < end_of_days
    end_of_days = None if until is None else day_of(until)
    if hourly or (first_day is not None and end_of_days is not None and first_day >= end_of_days):
        return _hours(account_id, since, until).subquery()
    parts = [_days(account_id, first_day, end_of_days)]
    if since is not None:
        parts.insert(0, _hours(account_id, since, first_day))
    if until is not None:
        parts.append(_hours(account_id, end_of_days, until))
    return union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()


def usage_window(account_id: int, since: datetime | None):
    """`usage_buckets` from `since` on (None: all time), with no end."""
    return usage_buckets(account_id, since)


def _hours(account_id: int, start: datetime | None, end: datetime | None):
    query = select(*(getattr(UsageHour, c) for c in WINDOW_COLUMNS), UsageHour.hour.label('period'))
    query = query.where(UsageHour.account_id == account_id)
    if start is not None:
        query = query.where(UsageHour.hour >= start)
    return query if end is None else query.where(UsageHour.hour < end)


def _days(account_id: int, start: datetime | None = None, end: datetime | None = None):
    query = select(*(getattr(UsageDay, c) for c in WINDOW_COLUMNS), UsageDay.day.label('period'))
    query = query.where(UsageDay.account_id == account_id)
    if start is not None:
        query = query.where(UsageDay.day >= start)
    return query if end is None else query.where(UsageDay.day < end)
