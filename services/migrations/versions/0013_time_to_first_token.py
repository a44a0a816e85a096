"""time to first token

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00.000000

A streamed generation records its time to first token (ms from the start of the upstream call to its first
byte of content) next to its latency, so /routing can show percentiles per provider and region and the
transaction page can say it. Nullable: only streams have one, and existing records stay as they are
(SQLite adds the column in place, without copying the table).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('generation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ttft_ms', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('generation', schema=None) as batch_op:
        batch_op.drop_column('ttft_ms')
