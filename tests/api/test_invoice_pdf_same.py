"""The invoices page and the API serve the same PDF: an issued invoice's document, rendered once when it was
issued and stored; this month's draft is rendered on demand by the same function for both."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import select

from services import db
from services.billing.invoices import DRAFT_ID, month_bounds
from services.billing.pdfs import invoice_pdf
from services.models import Account, Invoice, InvoiceDocument
from services.timeutil import local
from tests.support import factories


def stored_or_draft_pdf(account: Account, invoice_id: int):
    """What the invoices page's download button sends (imported once the app is loaded: importing a page module
    before the app registers its pages would leave them unregistered)."""
    from pages.invoices import stored_or_draft_pdf as page_download

    return page_download(account, invoice_id)


def _issued_last_month(account_id: int) -> Invoice:
    """Usage and a top-up last month (account time zone), usage this month, and last month's invoice issued."""
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        here = local(now, account.timezone)
        start, _ = month_bounds(account.timezone, here.year, here.month)
        last_month = start - timedelta(days=10)
        factories.top_up(account, '40.00', session=session, idempotency_key='old', at=last_month)
        for when in (last_month, last_month + timedelta(hours=1), now - timedelta(minutes=5)):
            factories.generation(
                account, session=session, prompt_tokens=90_000, completion_tokens=30_000, created_at=when
            )
        assert factories.invoices(account, session=session, now=now) == 1
        return session.exec(select(Invoice).where(Invoice.account_id == account_id)).one()


async def test_the_page_and_the_api_answer_the_same_stored_bytes(api, account_id, make_key):
    read = make_key('read')
    issued = _issued_last_month(account_id)
    with db.read_scope() as session:
        account = session.get(Account, account_id)
        stored = session.get(InvoiceDocument, issued.id)
    assert stored is not None and stored.pdf.startswith(b'%PDF') and stored.pdf == invoice_pdf(issued)

    page = stored_or_draft_pdf(account, issued.id)  # what the page's download button sends
    response = await api.get(f'/api/v1/invoices/{issued.id}/pdf', headers=read)
    assert response.status_code == 200 and response.headers['content-type'] == 'application/pdf'
    assert page.file_name == f'{issued.number}.pdf' and page.pdf == response.content == stored.pdf

    # both answer the stored document, not a new rendering of the snapshot: a changed snapshot shows in neither
    with db.session_scope() as session:
        changed = dict(issued.snapshot) | {'party': {'name': 'Someone Else', 'email': None}}
        session.execute(update(Invoice).where(Invoice.id == issued.id).values(snapshot=changed))
    again = await api.get(f'/api/v1/invoices/{issued.id}/pdf', headers=read)
    assert again.content == stored_or_draft_pdf(account, issued.id).pdf == stored.pdf


async def test_the_draft_is_rendered_by_the_same_function_for_both(api, account_id, make_key):
    read = make_key('read')
    _issued_last_month(account_id)
    with db.read_scope() as session:
        account = session.get(Account, account_id)
    page = stored_or_draft_pdf(account, DRAFT_ID)
    response = await api.get(f'/api/v1/invoices/{DRAFT_ID}/pdf', headers=read)
    assert page.file_name.startswith('DRAFT-') and page.pdf.startswith(b'%PDF')
    assert response.content[:1000] == page.pdf[:1000]  # a draft counts up to the moment it is asked for
    assert stored_or_draft_pdf(account, 9999) is None
    assert (await api.get('/api/v1/invoices/9999/pdf', headers=read)).status_code == 404


async def test_an_invoice_issued_before_documents_were_stored_gets_its_document_from_the_job(api, account_id, make_key):
    read = make_key('read')
    issued = _issued_last_month(account_id)
    with db.session_scope() as session:
        first = session.get(InvoiceDocument, issued.id).pdf
        session.execute(delete(InvoiceDocument))  # as an invoice issued before this table existed
    with db.read_scope() as session:
        account = session.get(Account, account_id)
    before = await api.get(f'/api/v1/invoices/{issued.id}/pdf', headers=read)
    assert before.content == stored_or_draft_pdf(account, issued.id).pdf == first  # rendered from its snapshot
    assert factories.invoices(account) == 0  # the job's next round issues nothing new and stores the document
    with db.read_scope() as session:
        assert session.get(InvoiceDocument, issued.id).pdf == first
