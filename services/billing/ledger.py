"""Credits: top-ups with idempotency keys and numbered, immutable receipts. Balance = credits - usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services import locales
from services.billing.payments import DEFAULT_GATEWAY, PaymentError, PaymentGateway
from services.errors import Conflict, InvalidInput, PaymentRequired
from services.models import Account, LedgerEntry, Receipt, utcnow
from services.money import MoneyError, format_money, parse_amount
from services.usage.query import usage_total

MIN_TOP_UP = 5_000_000  # 5.00 in the account currency
MAX_TOP_UP = 10_000_000_000  # 10 000.00
PRESETS = (10_000_000, 25_000_000, 50_000_000, 100_000_000)


class TopUpError(InvalidInput, ValueError):
    """A top-up that was refused; nothing was credited. `field` names the input to fix."""


class TopUpDeclined(PaymentRequired, TopUpError):
    """The payment gateway declined or failed (field `payment`)."""

    code = 'payment_declined'


class TopUpConflict(Conflict, TopUpError):
    """The idempotency key was already used for a different top-up (field `idempotency_key`)."""


@dataclass(frozen=True)
class TopUp:
    entry: LedgerEntry
    receipt: Receipt
    created: bool


def top_up(
    session: Session,
    account: Account,
    amount: str | Decimal | int,
    *,
    method: str,
    idempotency_key: str,
    gateway: PaymentGateway = DEFAULT_GATEWAY,
) -> TopUp:
    """Credit the account once per idempotency key (a double click, a retry or a second tab credit once)."""
    if not idempotency_key or len(idempotency_key) > 200:
        raise TopUpError('idempotency_key', 'give an idempotency key of 1 to 200 characters')
    micros = _validated_amount(account, amount)
    existing = _existing(session, account.id, idempotency_key)
    if existing is not None:
        return _same(existing, micros, method)
    if method not in gateway.methods:
        raise TopUpError('method', f'choose one of {", ".join(gateway.methods)}')
    try:
        payment = gateway.charge(
            amount_micros=micros, currency=account.currency, method=method, idempotency_key=idempotency_key
        )
    except PaymentError as error:
        raise TopUpDeclined('payment', str(error)) from None
    try:
        with session.begin_nested():
            entry = LedgerEntry(
                account_id=account.id,
                kind='top_up',
                amount_micros=micros,
                currency=account.currency,
                method=payment.method,
                idempotency_key=idempotency_key,
            )
            session.add(entry)
            session.flush()
            receipt = _issue_receipt(session, account, entry, payment.reference)
    except IntegrityError:  # the same key, committed meanwhile by another request
        existing = _existing(session, account.id, idempotency_key)
        if existing is None:
            raise
        return _same(existing, micros, method)
    return TopUp(entry, receipt, True)


def credits_total(session: Session, account_id: int, *, before: datetime | None = None) -> int:
    """Everything the ledger credited the account (top-ups, refunds, adjustments), in micro-units; with
    `before`, only what was entered before that moment."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(LedgerEntry.account_id == account_id)
    if before is not None:
        query = query.where(LedgerEntry.created_at < before)
    return int(session.exec(query).one())


def credit_balance(session: Session, account: Account, *, before: datetime | None = None) -> int:
    """Balance = credits - usage, in micro-units of the account currency; with `before`, as it stood then
    (the ledger's entries before that moment, the usage buckets that start before it)."""
    used = usage_total(session, account.id, until=before).cost_micros
    return credits_total(session, account.id, before=before) - used


def receipts(session: Session, account_id: int) -> list[Receipt]:
    return list(session.exec(select(Receipt).where(Receipt.account_id == account_id).order_by(Receipt.seq.desc())))


def get_receipt(session: Session, account_id: int, receipt_id: int) -> Receipt | None:
    receipt = session.get(Receipt, receipt_id)
    return receipt if receipt is not None and receipt.account_id == account_id else None


def _validated_amount(account: Account, amount: str | Decimal | int) -> int:
    """An int is micro-units (internal callers); text or Decimal is currency units, in whole minor units."""
    if isinstance(amount, bool):
        raise TopUpError('amount', 'not an amount')
    try:
        micros = amount if isinstance(amount, int) else parse_amount(amount)
    except MoneyError as error:
        raise TopUpError('amount', str(error)) from None
    digits = get_currency_precision(account.currency)
    if micros % 10 ** max(0, 6 - digits):
        raise TopUpError('amount', f'{account.currency} amounts have at most {digits} decimals')
    if not MIN_TOP_UP <= micros <= MAX_TOP_UP:
        low, high = (
            format_money(MIN_TOP_UP, account.currency, locale=locales.of(account)),
            format_money(MAX_TOP_UP, account.currency, locale=locales.of(account)),
        )
        raise TopUpError('amount', f'a top-up is between {low} and {high}')
    return micros


def _issue_receipt(session: Session, account: Account, entry: LedgerEntry, reference: str) -> Receipt:
    """Number the receipt from a per-account counter bumped atomically (no two receipts share a number)."""
    seq = session.execute(
        update(Account)
        .where(Account.id == account.id)
        .values(receipt_seq=Account.receipt_seq + 1)
        .returning(Account.receipt_seq)
    ).scalar_one()
    issued = utcnow()
    receipt = Receipt(
        account_id=account.id,
        ledger_entry_id=entry.id,
        seq=seq,
        number=f'R-{issued.year}-{seq:06d}',
        issued_at=issued,
        amount_micros=entry.amount_micros,
        currency=entry.currency,
        method=entry.method,
        reference=reference,
    )
    session.add(receipt)
    session.flush()
    return receipt


def _same(existing: TopUp, micros: int, method: str) -> TopUp:
    """The top-up already made with this idempotency key, if this request asks for the same; else a conflict."""
    if (existing.entry.amount_micros, existing.entry.method) != (micros, method):
        raise TopUpConflict('idempotency_key', 'this key was already used for a different top-up')
    return existing


def _existing(session: Session, account_id: int, idempotency_key: str) -> TopUp | None:
    entry = session.exec(
        select(LedgerEntry).where(LedgerEntry.account_id == account_id, LedgerEntry.idempotency_key == idempotency_key)
    ).first()
    if entry is None:
        return None
    receipt = session.exec(select(Receipt).where(Receipt.ledger_entry_id == entry.id)).one()
    return TopUp(entry, receipt, False)
