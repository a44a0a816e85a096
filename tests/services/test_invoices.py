import subprocess
from datetime import UTC, datetime

from sqlmodel import select

from services.billing_pdfs import invoice_pdf, receipt_pdf
from services.catalog import get_catalog
from services.ingest import record_generation
from services.invoices import current_draft, ensure_invoices, invoices
from services.ledger import top_up
from services.models import Invoice, LedgerEntry
from services.pdf_layout import money

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _seed(session, account):
    account.name, account.email, account.currency = 'Zoë Ærøskøbing', 'zoe@example.dk', 'EUR'
    first = top_up(session, account, '100.00', method='bank_transfer', idempotency_key='oct')
    session.get(LedgerEntry, first.entry.id).created_at = datetime(2026, 10, 2, 9, tzinfo=UTC)
    offers = get_catalog().offers
    for i in range(40):
        offer = offers[i % 5]
        when = datetime(2026, 10 + i % 2, 3 + i % 20, 10, tzinfo=UTC)
        record_generation(
            session,
            account,
            {
                'model': offer.model,
                'provider': offer.provider,
                'region': offer.region,
                'prompt_tokens': 20_000 + i,
                'completion_tokens': 9_000,
                'created_at': when.isoformat(),
            },
        )
    second = top_up(session, account, '50.00', method='company_card', idempotency_key='nov')
    session.get(LedgerEntry, second.entry.id).created_at = datetime(2026, 11, 3, 9, tzinfo=UTC)
    session.flush()


def test_closed_months_are_issued_and_reconcile(session, account):
    _seed(session, account)
    assert ensure_invoices(session, account, now=NOW) == 1
    assert ensure_invoices(session, account, now=NOW) == 0  # once
    october = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-10')).one()
    s = october.snapshot
    assert sum(line['cost_micros'] for line in s['lines']) == s['usage_micros'] == october.total_micros
    assert s['opening_micros'] == 0 and s['top_ups_micros'] == 100_000_000
    assert s['closing_micros'] == s['opening_micros'] + s['top_ups_micros'] - s['usage_micros']
    assert sum(line['requests'] for line in s['lines']) == 20
    draft = current_draft(session, account, now=NOW)
    assert draft.status == 'draft' and draft.snapshot['opening_micros'] == s['closing_micros']
    assert draft.snapshot['top_ups_micros'] == 50_000_000
    assert [i.number for i in invoices(session, account, now=NOW)] == ['DRAFT-2026-11', 'INV-2026-10']


def test_invoice_pdf_states_the_totals_and_never_changes(session, account, tmp_path):
    _seed(session, account)
    ensure_invoices(session, account, now=NOW)
    october = session.exec(select(Invoice).where(Invoice.number == 'INV-2026-10')).one()
    first = invoice_pdf(october)
    offer = get_catalog().offers[0]
    record_generation(  # a late record for October: the issued invoice stays as it was
        session,
        account,
        {
            'model': offer.model,
            'provider': offer.provider,
            'region': offer.region,
            'prompt_tokens': 1,
            'completion_tokens': 1,
            'created_at': '2026-10-15T10:00:00Z',
        },
    )
    session.flush()
    assert invoice_pdf(session.get(Invoice, october.id)) == first
    path = tmp_path / 'invoice.pdf'
    path.write_bytes(first)
    text = subprocess.run(['pdftotext', '-layout', str(path), '-'], capture_output=True, text=True, check=True).stdout
    s = october.snapshot
    for micros in (s['usage_micros'], s['top_ups_micros'], s['closing_micros']):
        assert money(micros, 'EUR') in text  # exact to the micro-unit: the lines add up on paper
    assert 'Zoë Ærøskøbing' in text and 'INV-2026-10' in text and 'Emissions statement' in text


def test_receipt_pdf(session, account, tmp_path):
    account.currency = 'EUR'
    receipt = top_up(session, account, '42.50', method='bank_transfer', idempotency_key='r').receipt
    pdf = receipt_pdf(account, receipt)
    assert pdf == receipt_pdf(account, receipt)
    path = tmp_path / 'receipt.pdf'
    path.write_bytes(pdf)
    text = subprocess.run(['pdftotext', '-layout', str(path), '-'], capture_output=True, text=True, check=True).stdout
    assert receipt.number in text and '€42.50' in text
