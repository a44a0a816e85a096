"""usage rollups by status

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-20 10:00:00.000000

The usage rollups (usage_hour and usage_day) split their buckets by the generation's status (completed, failed
or cancelled; set once when a generation is recorded), so usage can be grouped and filtered by status without
reading raw generations. The column `status` joins each table's unique bucket.

Existing buckets become 'completed'; then the sums of the raw generations that are not completed move out of
their 'completed' bucket into the bucket of their status. Buckets whose raw generations were already pruned
(before an account's pruning horizon) cannot be split: what they hold of pruned generations stays 'completed'.

The split is written here in plain SQL, not with the application's services, so this revision keeps doing the
same thing when the application changes later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {'usage_hour': 'hour', 'usage_day': 'day'}  # table: the column of its bucket's start
KEYS = ('account_id', 'api_key_id', 'model', 'provider', 'region', 'methodology_version')
ENERGY = ('energy_wh_low', 'energy_wh', 'energy_wh_high', 'carbon_g_low', 'carbon_g', 'carbon_g_high')
ENERGY += ('embodied_g_low', 'embodied_g', 'embodied_g_high')
SUMS = ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', *ENERGY)
SUMS += ('estimated_requests', 'estimated_energy_wh')


def upgrade() -> None:
    for table, period in TABLES.items():
        _bucket_with(table, period, status=True)
    for table, period in TABLES.items():
        _split(table, period)


def downgrade() -> None:
    """Every status added back into the 'completed' bucket, then the column dropped."""
    for table, period in TABLES.items():
        _merge(table, period)
        _bucket_with(table, period, status=False)


def _bucket_with(table: str, period: str, *, status: bool) -> None:
    name = f'uq_{table}_bucket'
    columns = ['account_id', period, 'api_key_id', 'model', 'provider', 'region', 'methodology_version']
    with op.batch_alter_table(table, schema=None) as batch_op:  # SQLite: the table is copied (rollups are small)
        batch_op.drop_constraint(name, type_='unique')
        if status:
            batch_op.add_column(
                sa.Column(
                    'status',
                    sqlmodel.sql.sqltypes.AutoString(length=20),
                    server_default='completed',
                    nullable=False,
                )
            )
            batch_op.create_unique_constraint(name, [*columns, 'status'])
        else:
            batch_op.drop_column('status')
            batch_op.create_unique_constraint(name, columns)


def _start(period: str) -> str:
    """SQL for the start of a generation's bucket (UTC), as the rollups store it."""
    if op.get_bind().dialect.name == 'sqlite':
        shape = '%Y-%m-%d %H:00:00.000000' if period == 'hour' else '%Y-%m-%d 00:00:00.000000'
        return f"strftime('{shape}', created_at)"
    return f"date_trunc('{period}', created_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"


def _split(table: str, period: str) -> None:
    """Move the sums of the raw generations that are not completed out of their 'completed' buckets."""
    split = f'split_{table}'
    keys = ', '.join(KEYS)
    sums = [
        'count(*)',
        'sum(prompt_tokens)',
        'sum(completion_tokens)',
        'sum(cost_micros)',
        *(f'sum({c})' for c in ENERGY),
        'sum(CASE WHEN estimated THEN 1 ELSE 0 END)',
        'sum(CASE WHEN estimated THEN energy_wh ELSE 0 END)',
    ]
    op.execute(
        f'CREATE TEMPORARY TABLE {split} AS '
        f'SELECT {_start(period)} AS {period}, account_id, coalesce(api_key_id, 0) AS api_key_id, model, provider, '
        f'region, methodology_version, status, '
        f'{", ".join(f"{s} AS {c}" for s, c in zip(sums, SUMS, strict=True))} '
        f"FROM generation WHERE status <> 'completed' "
        f'GROUP BY {_start(period)}, account_id, coalesce(api_key_id, 0), model, provider, region, '
        f'methodology_version, status'
    )
    same = ' AND '.join(f'{table}.{c} = {split}.{c}' for c in (period, *KEYS))
    # a bucket with two statuses other than completed is subtracted from once per status
    for status in _statuses(split):
        op.execute(
            sa.text(
                f'UPDATE {table} SET {", ".join(f"{c} = {table}.{c} - {split}.{c}" for c in SUMS)} '
                f"FROM {split} WHERE {table}.status = 'completed' AND {split}.status = :status AND {same}"
            ).bindparams(status=status)
        )
    op.execute(
        f'INSERT INTO {table} ({period}, {keys}, status, {", ".join(SUMS)}) '
        f'SELECT {period}, {keys}, status, {", ".join(SUMS)} FROM {split} '
        f"WHERE EXISTS (SELECT 1 FROM {table} WHERE {table}.status = 'completed' AND {same})"
    )
    # 'completed' buckets that held only generations of another status: the rollups keep no empty bucket
    op.execute(f"DELETE FROM {table} WHERE status = 'completed' AND requests = 0")
    op.execute(f'DROP TABLE {split}')


def _statuses(table: str) -> list[str]:
    """The statuses other than 'completed' in a table."""
    query = f"SELECT DISTINCT status FROM {table} WHERE status <> 'completed' ORDER BY status"
    return list(op.get_bind().exec_driver_sql(query).scalars())


def _merge(table: str, period: str) -> None:
    """Add each bucket of another status into its 'completed' twin (made of it where there is none)."""
    same = ' AND '.join(f'{table}.{c} = other.{c}' for c in (period, *KEYS))
    for status in _statuses(table):
        op.execute(
            sa.text(
                f'UPDATE {table} SET {", ".join(f"{c} = {table}.{c} + other.{c}" for c in SUMS)} '
                f"FROM {table} AS other WHERE {table}.status = 'completed' AND other.status = :status AND {same}"
            ).bindparams(status=status)
        )
        op.execute(
            sa.text(
                f'DELETE FROM {table} WHERE status = :status AND EXISTS (SELECT 1 FROM {table} AS other '
                f"WHERE other.status = 'completed' AND {same})"
            ).bindparams(status=status)
        )
        op.execute(sa.text(f"UPDATE {table} SET status = 'completed' WHERE status = :status").bindparams(status=status))
