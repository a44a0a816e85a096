"""eco-2 columns

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00.000000

Methodology eco-2 records the manufacturing (embodied) share of carbon, the prompt tokens' share of energy,
the datacentre PUE and where the grid intensity came from (grid_basis); its stamp is longer, so
methodology_version grows to 80 characters. Existing (eco-1) records keep 0 in the new sums and NULL in
pue and grid_basis until `python app.py eco-recompute` recomputes them.

On SQLite the columns are added in place and the declared length is changed in the table's definition only
(see _widen_in_place): no table is copied, so a large database upgrades in a moment.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMBODIED = ('embodied_g_low', 'embodied_g', 'embodied_g_high')
VERSION_OLD, VERSION_NEW = sqlmodel.sql.sqltypes.AutoString(length=60), sqlmodel.sql.sqltypes.AutoString(length=80)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, columns in (('generation', _generation_columns), ('usage_hour', _embodied), ('usage_day', _embodied)):
        with op.batch_alter_table(table, schema=None) as batch_op:  # SQLite: ALTER TABLE ADD COLUMN, no copy
            for column in columns():
                batch_op.add_column(column)
        if sqlite and _widen_in_place(table):
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                'methodology_version', existing_type=VERSION_OLD, type_=VERSION_NEW, existing_nullable=False
            )


def _embodied() -> list[sa.Column]:
    return [sa.Column(name, sa.Float(), server_default='0', nullable=False) for name in EMBODIED]


def _generation_columns() -> list[sa.Column]:
    return [
        *_embodied(),
        sa.Column('input_energy_wh', sa.Float(), server_default='0', nullable=False),
        sa.Column('pue', sa.Float(), nullable=True),
        sa.Column('grid_basis', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    ]


def _widen_in_place(table: str) -> bool:
    """SQLite: declare methodology_version VARCHAR(80) by editing the table's CREATE text, without copying the table.

    SQLite ignores declared lengths (both are TEXT), so the stored data and indexes stay exactly as they are; this
    is SQLite's documented way for such changes (https://www.sqlite.org/lang_altertable.html#otheralter). Batch
    mode would rebuild the table instead: minutes, and twice the disk, for millions of generations. False (the
    table is then rebuilt) when the CREATE text is not the expected one."""
    connection = op.get_bind()
    old, new = 'methodology_version VARCHAR(60) NOT NULL', 'methodology_version VARCHAR(80) NOT NULL'
    query = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"
    create = connection.exec_driver_sql(query, (table,)).scalar()
    if create is None or create.count(old) != 1:
        return False
    version = connection.exec_driver_sql('PRAGMA schema_version').scalar()
    connection.exec_driver_sql('PRAGMA writable_schema = ON')
    try:
        connection.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?", (create.replace(old, new), table)
        )
        connection.exec_driver_sql(f'PRAGMA schema_version = {int(version) + 1}')  # other connections re-read it
    except sa.exc.DBAPIError:  # a build that forbids it (defensive mode)
        return False
    finally:
        connection.exec_driver_sql('PRAGMA writable_schema = OFF')
    return True


def downgrade() -> None:
    """Drops the new columns. methodology_version stays 80 characters wide: eco-2 stamps are longer than 60,
    and narrowing the column would cut them (or fail on PostgreSQL)."""
    for table in ('usage_day', 'usage_hour'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in reversed(EMBODIED):
                batch_op.drop_column(name)
    with op.batch_alter_table('generation', schema=None) as batch_op:
        for name in ('grid_basis', 'pue', 'input_energy_wh', *reversed(EMBODIED)):
            batch_op.drop_column(name)
