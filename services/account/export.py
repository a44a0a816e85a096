"""The full export of an account as one ZIP: generations CSV, every receipt and invoice PDF, the settings.

Key secrets are never exported (lowrouter only holds their hashes, and those stay out too).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from services import db
from services.billing.invoices import invoice_document, invoices
from services.billing.ledger import receipts
from services.billing.pdfs import receipt_pdf
from services.errors import NotFound
from services.keys.api_keys import key_status, list_keys
from services.models import Account, ApiKey, utcnow
from services.money import decimal_string
from services.routing.policies import account_settings, key_override
from services.usage.exports import generations_csv
from services.usage.generations import GenerationFilter

FORMAT = 'lowrouter-export/1'
STREAM_CHUNK = 64 * 1024  # bytes handed out at a time by stream_export
README = """lowrouter export of the account "{name}", made {made} (UTC)

README.txt        this file
settings.json     the account profile (name, e-mail, currency, time zone), eco baseline model,
                  notification preferences, low-balance threshold, auto-routing defaults and per-key
                  overrides, and every API key's metadata (name, prefix, scopes, limits, allowed models,
                  created / last used / expires / revoked). Key secrets are not included: lowrouter never
                  stored them.
generations.csv   every generation, newest first, one line each: tokens, cost, energy and carbon
                  estimates (with their low-high ranges) and the methodology version. Prompt and response
                  content is not included: lowrouter never stored it.
invoices/         {invoices} invoice PDF(s): every issued monthly invoice, and the current month's draft
                  (not final).
receipts/         {receipts} receipt PDF(s), one per top-up.

Money is in {currency}: the CSV and JSON carry plain decimal amounts with 6 decimals. Times are ISO 8601:
UTC, with the account time zone ({timezone}) where a column says local.
"""


class ExportError(NotFound, LookupError):
    """There is no such account to export."""


def build_export(account_id: int) -> bytes:
    """The ZIP, in a fixed file order: README.txt, settings.json, generations.csv, invoices/*, receipts/*."""
    prepared = _prepare(account_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
        for _ in _write(archive, prepared):
            pass
    return buffer.getvalue()


@dataclass(frozen=True)
class StreamedExport:
    file_name: str
    chunks: Iterator[bytes]


def stream_export(account_id: int, *, chunk_size: int = STREAM_CHUNK) -> StreamedExport:
    """The same ZIP entries as build_export (names, order, contents), written a piece at a time and handed
    out in chunks of about `chunk_size` bytes, so the whole archive is never in memory. The account, its
    settings, receipts and invoices are read now (ExportError at once when the account is gone); the
    generations are read while the chunks are taken. The bytes differ from build_export's in one way: each
    entry's sizes follow its data (a data descriptor), as a ZIP written to a stream must do."""
    prepared = _prepare(account_id)
    return StreamedExport(export_file_name(prepared.account, prepared.made), _chunks(prepared, chunk_size))


class _Drain:
    """A write-only stream that keeps what the ZIP writer wrote until it is taken (no tell(): the writer
    then writes data descriptors and never seeks back)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.size = 0

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b''.join(self.parts)
        self.parts.clear()
        self.size = 0
        return data


def _chunks(prepared: _Prepared, chunk_size: int) -> Iterator[bytes]:
    drain = _Drain()
    with zipfile.ZipFile(drain, 'w', compression=zipfile.ZIP_DEFLATED) as archive:
        for _ in _write(archive, prepared):
            if drain.size >= chunk_size:
                yield drain.take()
    if drain.size:
        yield drain.take()  # the last entries and the central directory


@dataclass(frozen=True)
class _Prepared:
    account: Account
    made: datetime
    receipts: list[Any]
    invoices: list[Any]
    settings: dict[str, Any]


def _prepare(account_id: int) -> _Prepared:
    """Everything but generations, in one read session (this month's draft invoice is computed, not stored)."""
    made = utcnow().replace(microsecond=0)
    with db.read_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            raise ExportError(f'there is no account {account_id}')
        receipt_rows = sorted(receipts(session, account.id), key=lambda r: (r.seq, r.id))
        invoice_rows = sorted(
            invoices(session, account, now=made), key=lambda i: (i.period_start, i.status != 'issued')
        )
        settings = export_settings(session, account, made)
    return _Prepared(account, made, receipt_rows, invoice_rows, settings)


def _write(archive: zipfile.ZipFile, prepared: _Prepared) -> Iterator[None]:
    """Write every entry into `archive`, pausing (yielding) after each piece written."""
    account, made = prepared.account, prepared.made
    stamp = made.timetuple()[:6]
    readme = README.format(
        name=account.name,
        made=made.isoformat(),
        invoices=len(prepared.invoices),
        receipts=len(prepared.receipts),
        currency=account.currency,
        timezone=account.timezone,
    )
    archive.writestr(_entry('README.txt', stamp), readme)
    archive.writestr(
        _entry('settings.json', stamp), json.dumps(prepared.settings, indent=2, ensure_ascii=False, default=str) + '\n'
    )
    yield
    # generations_csv opens its own session, so this runs after the one of _prepare has ended
    lines = closing(generations_csv(account, GenerationFilter()))
    with lines as chunks, archive.open(_entry('generations.csv', stamp), 'w', force_zip64=True) as csv_file:
        for chunk in chunks:
            csv_file.write(chunk.encode('utf-8'))
            yield
    for invoice in prepared.invoices:
        with db.read_scope() as session:  # the stored bytes, the very file the invoices page serves
            pdf = invoice_document(session, invoice)
        archive.writestr(_entry(f'invoices/{_file_name(invoice.number)}.pdf', stamp), pdf)
        yield
    for receipt in prepared.receipts:
        archive.writestr(_entry(f'receipts/{_file_name(receipt.number)}.pdf', stamp), receipt_pdf(account, receipt))
        yield


def export_file_name(account: Account, when: datetime | None = None) -> str:
    """e.g. 'lowrouter-export-acme-2026-05-14.zip'."""
    slug = re.sub(r'[^a-z0-9]+', '-', account.name.lower()).strip('-')[:40] or 'account'
    return f'lowrouter-export-{slug}-{(when or utcnow()).date().isoformat()}.zip'


def export_settings(session: Session, account: Account, made: datetime) -> dict[str, Any]:
    """settings.json: everything the operator set, and the keys' metadata (never a secret or its hash)."""
    keys = list_keys(session, account)
    overrides = []
    for key in keys:
        override = key_override(session, account, key.id)
        if override:
            overrides.append({'key_id': key.id, 'key_name': key.name, 'settings': override})
    return {
        'format': FORMAT,
        'exported_at': made.isoformat(),
        'account': {
            'id': account.id,
            'name': account.name,
            'email': account.email,
            'currency': account.currency,
            'timezone': account.timezone,
            'created_at': _time(account.created_at),
            'demo': account.is_demo,
        },
        'eco_baseline_model': account.eco_baseline_model,
        'low_balance_threshold': decimal_string(account.low_balance_threshold_micros),
        'notification_prefs': account.notification_prefs or {},
        'routing': {'account_defaults': account_settings(session, account), 'key_overrides': overrides},
        'keys': [_key(key) for key in keys],
    }


def _key(key: ApiKey) -> dict[str, Any]:
    return {
        'id': key.id,
        'name': key.name,
        'prefix': key.prefix,
        'status': key_status(key),
        'scopes': list(key.scopes),
        'monthly_spend_limit': None if key.spend_limit_micros is None else decimal_string(key.spend_limit_micros),
        'allowed_models': key.allowed_models,
        'created_at': _time(key.created_at),
        'last_used_at': _time(key.last_used_at),
        'expires_at': _time(key.expires_at),
        'revoked_at': _time(key.revoked_at),
    }


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _entry(name: str, stamp: tuple[int, ...]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _file_name(number: str) -> str:
    return re.sub(r'[^A-Za-z0-9._-]+', '_', number)
