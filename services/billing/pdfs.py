"""Stored receipts and invoices -> their PDF documents (rendered from stored data only).

The PDF machinery (services.billing._documents, fpdf2) is imported when a document is rendered, not when
the app starts: it is a third of a second of start-up for something most visits never ask for.
"""

from __future__ import annotations

from datetime import datetime

from services import locales
from services.locales import DEFAULT
from services.models import Account, Invoice, Receipt


def receipt_pdf(account: Account, receipt: Receipt) -> bytes:
    from services.billing._documents import Party, ReceiptDoc, render_receipt

    return render_receipt(
        ReceiptDoc(
            number=receipt.number,
            issued_at=receipt.issued_at,
            timezone=account.timezone,
            party=Party(account.name, account.email),
            amount_micros=receipt.amount_micros,
            currency=receipt.currency,
            method=receipt.method or 'manual',
            reference=receipt.reference or '',
            locale=locales.of(account),
        )
    )


def invoice_pdf(invoice: Invoice) -> bytes:
    from services.billing._documents import render_invoice

    return render_invoice(invoice_doc(invoice.snapshot))


def invoice_doc(s: dict):
    """The InvoiceDoc (services.billing._documents) of an invoice snapshot."""
    from services.billing._documents import Emissions, InvoiceDoc, InvoiceLine, Party, TopUpLine

    e = s['emissions']
    return InvoiceDoc(
        number=s['number'],
        status=s['status'],
        period_start=datetime.fromisoformat(s['period_start']),
        period_end=datetime.fromisoformat(s['period_end']),
        timezone=s['timezone'],
        issued_at=datetime.fromisoformat(s['issued_at']),
        party=Party(s['party']['name'], s['party']['email']),
        currency=s['currency'],
        lines=tuple(InvoiceLine(**line) for line in s['lines']),
        top_ups=tuple(
            TopUpLine(datetime.fromisoformat(t['date']), t['receipt_number'], t['method'], t['amount_micros'])
            for t in s['top_ups']
        ),
        opening_micros=s['opening_micros'],
        top_ups_micros=s['top_ups_micros'],
        usage_micros=s['usage_micros'],
        closing_micros=s['closing_micros'],
        locale=s.get('locale') or DEFAULT,  # snapshots taken before locales read as they did: en_US
        emissions=Emissions(
            e['energy_wh'],
            e['energy_wh_low'],
            e['energy_wh_high'],
            e['carbon_g'],
            e['carbon_g_low'],
            e['carbon_g_high'],
            tuple(e['methodology_versions']),
            # snapshots issued before the manufacturing part was recorded have no such keys: None keeps their
            # statement as it was issued
            embodied_g=e.get('embodied_g'),
            embodied_g_low=e.get('embodied_g_low'),
            embodied_g_high=e.get('embodied_g_high'),
        ),
    )
