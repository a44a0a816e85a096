from sqlmodel import func, select

from services import db
from services.billing.invoices import get_invoice
from services.billing.ledger import get_receipt
from services.billing.pdfs import invoice_pdf, receipt_pdf
from services.models import Account, Invoice


async def test_top_up_is_idempotent_and_issues_a_receipt(api, account_id, make_key):
    manage = make_key('manage', 'read')
    headers = manage | {'Idempotency-Key': 'top-1'}
    first = await api.post(
        '/api/v1/credits/top-ups', json={'amount': '50.00', 'method': 'bank_transfer'}, headers=headers
    )
    assert first.status_code == 201
    again = await api.post(
        '/api/v1/credits/top-ups', json={'amount': '50.00', 'method': 'bank_transfer'}, headers=headers
    )
    assert again.status_code == 200 and again.json()['receipt']['number'] == first.json()['receipt']['number']
    credits = (await api.get('/api/v1/credits', headers=manage)).json()
    assert credits['balance'] == '50.000000'
    listed = (await api.get('/api/v1/receipts', headers=manage)).json()['items']
    assert [r['number'] for r in listed] == [first.json()['receipt']['number']]
    pdf = await api.get(listed[0]['pdf'], headers=manage)
    assert pdf.status_code == 200 and pdf.headers['content-type'] == 'application/pdf'
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        assert pdf.content == receipt_pdf(account, get_receipt(session, account_id, listed[0]['id']))


async def test_top_up_refusals_write_nothing(api, make_key):
    manage = make_key('manage', 'read')
    cases = [
        ({'amount': '50.00'}, {}, 'Idempotency-Key'),
        ({'amount': '1.00'}, {'Idempotency-Key': 'a'}, 'between'),
        ({'amount': 50.0}, {'Idempotency-Key': 'b'}, 'decimal string'),
        ({'amount': '50', 'method': 'bitcoin'}, {'Idempotency-Key': 'c'}, 'method'),
    ]
    for body, extra, message in cases:
        response = await api.post('/api/v1/credits/top-ups', json=body, headers=manage | extra)
        assert response.status_code == 422, body
        assert message in response.json()['error']['message']
    assert (
        await api.post(
            '/api/v1/credits/top-ups', json={'amount': '50'}, headers=make_key('read') | {'Idempotency-Key': 'd'}
        )
    ).status_code == 403
    assert (await api.get('/api/v1/receipts', headers=manage)).json()['items'] == []


async def test_invoices_list_and_pdf(api, account_id, make_key):
    read = make_key('read', 'manage')
    await api.post('/api/v1/credits/top-ups', json={'amount': '20.00'}, headers=read | {'Idempotency-Key': 'x'})
    items = (await api.get('/api/v1/invoices', headers=read)).json()['items']
    assert [i['status'] for i in items] == ['draft']
    assert items[0]['closing_balance'] == '20.000000'
    pdf = await api.get(items[0]['pdf'], headers=read)
    with db.session_scope() as session:
        draft = get_invoice(session, session.get(Account, account_id), items[0]['id'])
        assert items[0]['id'] == 0 and pdf.content[:1000] == invoice_pdf(draft)[:1000]  # a draft counts to now
    assert (await api.get('/api/v1/invoices/9999/pdf', headers=read)).status_code == 404
    with db.read_scope() as session:  # listing invoices and reading the draft stored nothing
        assert session.exec(select(func.count()).select_from(Invoice)).one() == 0
