"""key spend by recording hour

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-02 10:00:00.000000

A key's monthly spend limit counts what the key spent in the hours it was recorded (key_spend), not the
hours its generations claim (usage_hour), so a backdated created_at cannot dodge the limit. Existing
spend is carried over from usage_hour: before this revision the two were the same thing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0011'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'key_spend',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('api_key_id', sa.Integer(), nullable=False),
        sa.Column('hour', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('cost_micros', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id']),
        sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('api_key_id', 'hour', name='uq_key_spend_hour'),
    )
    op.create_index(op.f('ix_key_spend_account_id'), 'key_spend', ['account_id'], unique=False)
    op.execute(
        'INSERT INTO key_spend (account_id, api_key_id, hour, cost_micros) '
        'SELECT u.account_id, u.api_key_id, u.hour, sum(u.cost_micros) FROM usage_hour u '
        'JOIN api_key k ON k.id = u.api_key_id '
        'GROUP BY u.account_id, u.api_key_id, u.hour'
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_key_spend_account_id'), table_name='key_spend')
    op.drop_table('key_spend')
