"""account locale

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00.000000

The account's locale (e.g. 'de_DE'): how its numbers, money and dates read. NULL, the value of every existing
account, means "not chosen": pages follow the browser's language and documents use en_US, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # a plain ADD COLUMN on both databases: a batch (copy-and-move) of `account` would trip the foreign keys
    # of every table that points at it
    op.add_column('account', sa.Column('locale', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column('account', 'locale')  # SQLite 3.35+ drops a column in place
