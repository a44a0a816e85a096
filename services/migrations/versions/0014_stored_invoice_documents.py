"""stored invoice documents

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-16 10:00:00.000000

An issued invoice's PDF is rendered once and stored (invoice_document), so the invoices page and the API
answer the same bytes for good. Invoices issued before this revision get theirs from the background job that
issues invoices (services/billing/invoices.py); until then they are rendered from their snapshot as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'invoice_document',
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('pdf', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['account.id']),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id']),
        sa.PrimaryKeyConstraint('invoice_id'),
    )
    op.create_index('ix_invoice_document_account_id', 'invoice_document', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_invoice_document_account_id', table_name='invoice_document')
    op.drop_table('invoice_document')
