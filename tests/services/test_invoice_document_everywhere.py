"""An issued invoice is one document: the e-mail attachment and the account export carry the stored bytes that
the invoices page and the API serve, not a new rendering of the invoice's snapshot."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from services import db
from services.account.export import build_export
from services.billing.invoices import invoice_file, month_bounds
from services.models import Account, Invoice, InvoiceDocument
from services.notifications import outbox
from services.timeutil import local
from tests.support import factories


@pytest.fixture
def issued(session, account) -> tuple[Invoice, bytes]:
    """Last month's invoice, issued and stored; then its snapshot changes, so a re-rendering would differ."""
    account.email = 'ops@example.com'
    session.add(account)
    session.commit()
    now = datetime.now(UTC)
    here = local(now, account.timezone)
    start, _ = month_bounds(account.timezone, here.year, here.month)
    factories.top_up(account, '40.00', idempotency_key='old', at=start - timedelta(days=10))
    factories.generation(account, prompt_tokens=90_000, completion_tokens=30_000, created_at=start - timedelta(days=9))
    assert factories.invoices(account, now=now) == 1
    with db.session_scope() as writing:
        invoice = writing.exec(select(Invoice).where(Invoice.account_id == account.id)).one()
        stored = writing.get(InvoiceDocument, invoice.id).pdf
        changed = dict(invoice.snapshot) | {'party': {'name': 'Someone Else', 'email': None}}
        writing.execute(update(Invoice).where(Invoice.id == invoice.id).values(snapshot=changed))
    with db.read_scope() as reading:
        invoice = reading.get(Invoice, invoice.id)
        assert invoice_file(reading, reading.get(Account, account.id), invoice.id).pdf == stored
    return invoice, stored


def test_the_invoice_email_attaches_the_stored_document(smtp, account, issued):
    invoice, stored = issued
    with db.session_scope() as session:
        assert outbox.email_invoice(session, session.get(Account, account.id), invoice)
    assert outbox.deliver_due() >= 1
    [message] = [m for m in smtp.messages if invoice.number in m['Subject']]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f'{invoice.number}.pdf'
    assert attachment.get_content() == stored


def test_the_account_export_holds_the_stored_document(account, issued):
    invoice, stored = issued
    with zipfile.ZipFile(io.BytesIO(build_export(account.id))) as archive:
        assert archive.read(f'invoices/{invoice.number}.pdf') == stored
