"""Top-ups, receipts and invoices over HTTP, with their PDFs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response

from api.bodies import TopUpIn
from api.deps import ManageKey, ReadKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.common import non_json
from api.responses.records import InvoicePage, MethodsOut, ReceiptPage, TopUpOut
from api.schemas import InvoiceId, RecordId
from services.billing.invoices import invoice_file, invoices
from services.billing.ledger import get_receipt, receipts, top_up
from services.billing.payments import DEFAULT_GATEWAY
from services.billing.pdfs import receipt_pdf
from services.models import Invoice, Receipt
from services.money import decimal_string
from services.notifications.outbox import email_receipt

router = APIRouter(prefix='/api/v1', tags=['credits and billing'], responses=ERROR_RESPONSES)
PDF = {200: non_json('application/pdf', 'The PDF, rendered from stored data, as an attachment', binary=True)}


@router.post(
    '/credits/top-ups',
    status_code=201,
    response_model=TopUpOut,
    summary='Top up the balance; needs an Idempotency-Key (scope: manage)',
    responses={
        200: {
            'description': 'A retry with the same Idempotency-Key: the first top-up and its receipt',
            'model': TopUpOut,
        },
        **documented(402, 'The payment was declined', 'payment_declined', 'payment: the card was declined'),
        **documented(409, 'The Idempotency-Key was used for a different top-up', 'conflict', 'idempotency_key: …'),
    },
)
def create_top_up(
    session: SessionDep,
    key: ManageKey,
    response: Response,
    body: TopUpIn,
    idempotency_key: Annotated[str | None, Header(alias='Idempotency-Key', max_length=200)] = None,
) -> dict:
    if not idempotency_key:
        raise APIError(422, 'invalid', 'Idempotency-Key: required, so a retried top-up never credits twice')
    account = account_of(session, key)
    result = top_up(session, account, body.amount, method=body.method, idempotency_key=idempotency_key)
    if result.created:
        email_receipt(session, account, result.receipt)
    else:
        response.status_code = 200
    return {'top_up': {'id': result.entry.id, 'amount': decimal_string(result.entry.amount_micros)}} | {
        'receipt': receipt_out(result.receipt)
    }


@router.get(
    '/credits/methods', response_model=MethodsOut, summary='Payment methods of the configured gateway (scope: read)'
)
def methods(_key: ReadKey) -> dict:
    return {
        'gateway': DEFAULT_GATEWAY.name,
        'items': [{'id': k, 'label': v} for k, v in DEFAULT_GATEWAY.methods.items()],
    }


@router.get('/receipts', response_model=ReceiptPage, summary='Receipts, newest first (scope: read)')
def list_receipts(session: ReadSessionDep, key: ReadKey) -> dict:
    return {'items': [receipt_out(r) for r in receipts(session, key.account_id)], 'next_cursor': None}


@router.get(
    '/receipts/{receipt_id}/pdf',
    summary='A receipt as PDF (scope: read)',
    response_class=Response,
    responses={**PDF, **documented(404, 'No receipt with this id in this account', 'not_found', 'no receipt 7')},
)
def receipt_document(session: ReadSessionDep, key: ReadKey, receipt_id: RecordId) -> Response:
    receipt = get_receipt(session, key.account_id, receipt_id)
    if receipt is None:
        raise APIError(404, 'not_found', f'no receipt {receipt_id} in this account')
    return _pdf(receipt_pdf(account_of(session, key), receipt), f'{receipt.number}.pdf')


@router.get(
    '/invoices',
    response_model=InvoicePage,
    summary='Invoices: every closed month, and a draft for this month (scope: read)',
)
def list_invoices(session: ReadSessionDep, key: ReadKey) -> dict:
    # this month's draft is computed, and issued invoices come from the job at month close: a GET writes nothing
    return {'items': [invoice_out(i) for i in invoices(session, account_of(session, key))], 'next_cursor': None}


@router.get(
    '/invoices/{invoice_id}/pdf',
    summary='An invoice as PDF (scope: read)',
    response_class=Response,
    responses={**PDF, **documented(404, 'No invoice with this id in this account', 'not_found', 'no invoice 7')},
)
def invoice_document(session: ReadSessionDep, key: ReadKey, invoice_id: InvoiceId) -> Response:
    found = invoice_file(session, account_of(session, key), invoice_id)  # the same bytes as the invoices page
    if found is None:
        raise APIError(404, 'not_found', f'no invoice {invoice_id} in this account')
    return _pdf(found.pdf, found.file_name)


def receipt_out(r: Receipt) -> dict:
    return {
        'id': r.id,
        'number': r.number,
        'issued_at': r.issued_at.isoformat().replace('+00:00', 'Z'),
        'amount': decimal_string(r.amount_micros),
        'currency': r.currency,
        'method': r.method,
        'reference': r.reference,
        'pdf': f'/api/v1/receipts/{r.id}/pdf',
    }


def invoice_out(i: Invoice) -> dict:
    s = i.snapshot or {}
    return {
        'id': i.id,
        'number': i.number,
        'status': i.status,
        'period_start': i.period_start.isoformat().replace('+00:00', 'Z'),
        'period_end': i.period_end.isoformat().replace('+00:00', 'Z'),
        'total': decimal_string(i.total_micros),
        'opening_balance': decimal_string(s.get('opening_micros', 0)),
        'closing_balance': decimal_string(s.get('closing_micros', 0)),
        'currency': i.currency,
        'pdf': f'/api/v1/invoices/{i.id}/pdf',
    }


def _pdf(content: bytes, filename: str) -> Response:
    return Response(
        content, media_type='application/pdf', headers={'Content-Disposition': f'attachment; filename="{filename}"'}
    )
