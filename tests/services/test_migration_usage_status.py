"""Revision 0015 splits the usage rollups by status: a database at 0014 (rollups without status) holding failed and
cancelled generations comes out of the upgrade with the rollups that `rebuild_rollups` makes from its generations;
what pruned generations left in the rollups stays 'completed'. Going back down adds the statuses together again."""

from collections import defaultdict
from datetime import UTC, timedelta

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, delete, inspect, select
from sqlmodel import SQLModel

from services import db
from services.account.accounts import create_account
from services.models import Account, Generation
from services.usage.rollups import DAILY, USAGE, rebuild_rollups
from tests.services.test_rollups import NOW, _snapshot
from tests.services.test_usage_status import _mixed_history

TABLES = {'usage_hour': USAGE, 'usage_day': DAILY}


def _seeded(empty_database_url) -> int:
    db.init_db(empty_database_url)
    with db.session_scope() as session:
        account = create_account(session, name='Before statuses', timezone='Europe/Paris')
        _mixed_history(session, account)
        return account.id


def _down_to_0014() -> None:
    with db.get_engine().begin() as connection:
        command.downgrade(db.alembic_config(connection), '0014')


def _old_rows(table: str) -> list[tuple]:
    """A table at 0014, read as it is (no status column), sorted, floats rounded."""
    rollup = TABLES[table]
    with db.get_engine().connect() as connection:
        reflected = Table(table, MetaData(), autoload_with=connection)
        assert 'status' not in reflected.c
        keys = [c for c in rollup.bucket if c != 'status']
        rows = connection.execute(select(*(reflected.c[c] for c in (*keys, *rollup.sums)))).all()
    return sorted(_rounded(_utc(row[: len(keys)]) + tuple(row[len(keys) :])) for row in rows)


def _merged(snapshot_rows: list[tuple], rollup) -> list[tuple]:
    """Rows of a snapshot (bucket with status, then sums) with the statuses added together."""
    at = rollup.bucket.index('status')
    merged: dict[tuple, list] = defaultdict(lambda: [0] * len(rollup.sums))
    for row in snapshot_rows:
        bucket, sums = row[: len(rollup.bucket)], row[len(rollup.bucket) :]
        into = merged[bucket[:at] + bucket[at + 1 :]]
        for i, value in enumerate(sums):
            into[i] += value
    return sorted(_rounded(_utc(key) + tuple(sums)) for key, sums in merged.items())


def _utc(values: tuple) -> tuple:
    return tuple(v.replace(tzinfo=None) if hasattr(v, 'tzinfo') and v.tzinfo else v for v in values)


def _rounded(values: tuple) -> tuple:
    return tuple(round(v, 6) if isinstance(v, float) else v for v in values)


def _rounded_snapshot(snapshot: dict) -> dict:
    return {table: [_rounded(row) for row in rows] for table, rows in snapshot.items()}


def test_the_upgrade_splits_rollups_by_status_as_a_rebuild_would(empty_database_url):
    account_id = _seeded(empty_database_url)
    with db.session_scope() as session:
        incremental = _snapshot(session)
    _down_to_0014()
    for table, rollup in TABLES.items():
        assert _old_rows(table) == _merged(incremental[table], rollup) != []
    assert db.init_db(empty_database_url) is False  # the start-up upgrade, from 0014 to head
    with db.get_engine().connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
        constraints = {
            table: [c['column_names'] for c in inspect(connection).get_unique_constraints(table)] for table in TABLES
        }
    assert all(any('status' in names for names in found) for found in constraints.values())
    with db.session_scope() as session:
        upgraded = _snapshot(session)
        rebuild_rollups(session, account_id)
    with db.session_scope() as session:
        rebuilt = _snapshot(session)
    assert _rounded_snapshot(upgraded) == _rounded_snapshot(rebuilt) == _rounded_snapshot(incremental)
    statuses = {row[USAGE.bucket.index('status')] for row in upgraded['usage_hour']}
    assert statuses == {'completed', 'failed', 'cancelled'}


def test_what_pruned_generations_left_stays_completed(empty_database_url):
    account_id = _seeded(empty_database_url)
    horizon = (NOW - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    with db.session_scope() as session:
        before = _snapshot(session)
        old = session.exec(select(Generation).where(Generation.created_at < horizon)).scalars().all()
        pruned_other = [g for g in old if g.status != 'completed']
        assert pruned_other and len(old) > len(pruned_other)
        session.execute(delete(Generation).where(Generation.created_at < horizon))
        account = session.get(Account, account_id)
        account.pruned_before = horizon
        session.add(account)
    _down_to_0014()
    assert db.init_db(empty_database_url) is False
    with db.session_scope() as session:
        upgraded = _snapshot(session)
        rebuild_rollups(session, account_id)
    with db.session_scope() as session:
        rebuilt = _snapshot(session)
    assert _rounded_snapshot(upgraded) == _rounded_snapshot(rebuilt)
    at, period = USAGE.bucket.index('status'), USAGE.bucket.index('hour')
    early = [row for row in upgraded['usage_hour'] if _aware(row[period]) < horizon]
    late = [row for row in upgraded['usage_hour'] if _aware(row[period]) >= horizon]
    assert {row[at] for row in early} == {'completed'}  # their failed and cancelled generations were pruned
    assert {row[at] for row in late} == {'completed', 'failed', 'cancelled'}
    requests = len(USAGE.bucket)  # the first sum
    for table in TABLES:  # nothing is lost: every request still counts once
        assert sum(row[requests] for row in upgraded[table]) == sum(row[requests] for row in before[table])
    early_before = [row for row in before['usage_hour'] if _aware(row[period]) < horizon]
    assert sum(row[requests] for row in early) == sum(row[requests] for row in early_before)


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
