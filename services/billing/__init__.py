"""Billing: credits, payments, receipts, monthly invoices and their PDF documents.

Public modules: `ledger` (top-ups and the balance), `payments` (gateways), `invoices` (issued months and the
draft), `pdfs` (the stored documents as PDF). `_documents` and `_pdf_layout` (rendering) are internal.
"""
