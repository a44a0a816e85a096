"""The account's notification preferences, and the in-app inbox behind the header bell."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from babel.numbers import get_currency_precision
from sqlalchemy import update
from sqlmodel import Session

from services import locales
from services.errors import InvalidInput
from services.models import Account, Notification, utcnow
from services.money import MoneyError, format_money, parse_amount
from services.notifications.queue import notifications, unread_count

PREFS = ('low_balance', 'receipts_email', 'invoice_email', 'weekly_summary', 'key_limit_alerts')
DEFAULTS = dict.fromkeys(PREFS, True)
PREF_OF_KIND = {
    'low_balance': 'low_balance',
    'receipt': 'receipts_email',
    'invoice': 'invoice_email',
    'weekly_summary': 'weekly_summary',
    'key_limit': 'key_limit_alerts',
}
MAX_THRESHOLD = 1_000_000_000_000  # 1 000 000.00 in the account currency


class PrefsError(InvalidInput, ValueError):
    """A notification preference that was refused; `field` names the input to fix."""


def prefs(account: Account) -> dict[str, bool]:
    """The stored preferences over the defaults (everything on)."""
    stored = account.notification_prefs or {}
    return DEFAULTS | {name: bool(stored[name]) for name in PREFS if name in stored}


def wants(account: Account, kind: str) -> bool:
    """Whether the account wants notifications of `kind` (low_balance, receipt, invoice, weekly_summary, key_limit)."""
    return prefs(account)[PREF_OF_KIND[kind]]


def parse_threshold(account: Account, amount: str | Decimal | int) -> int:
    """A threshold in currency units ('5.00'; an int is micro-units) -> micro-units, or PrefsError."""
    field = 'low_balance_threshold'
    if isinstance(amount, bool) or (isinstance(amount, str) and not amount.strip()):
        raise PrefsError(field, 'give an amount, e.g. 5.00 (0 turns the alert off)')
    try:
        micros = amount if isinstance(amount, int) else parse_amount(amount)
    except MoneyError:
        raise PrefsError(field, 'give an amount such as 5.00') from None
    if micros < 0:
        raise PrefsError(field, 'the threshold is 0 or more')
    digits = get_currency_precision(account.currency)
    if micros % 10 ** max(0, 6 - digits):
        raise PrefsError(field, f'{account.currency} amounts have at most {digits} decimals')
    if micros > MAX_THRESHOLD:
        raise PrefsError(field, f'at most {format_money(MAX_THRESHOLD, account.currency, locale=locales.of(account))}')
    return micros


def update_prefs(
    session: Session, account: Account, values: Mapping[str, bool], threshold: str | Decimal | int | None = None
) -> Account:
    """Validate everything first, then store; on a PrefsError nothing changes."""
    unknown = sorted(set(values) - set(PREFS))
    if unknown:
        raise PrefsError(unknown[0], f'unknown preference; known: {", ".join(PREFS)}')
    for name, value in values.items():
        if not isinstance(value, bool):
            raise PrefsError(name, 'give true or false')
    micros = None if threshold is None else parse_threshold(account, threshold)
    stored = session.get(Account, account.id)  # the row as it is now, not a page's older copy
    if stored is None:
        raise PrefsError('account', 'this account no longer exists')
    stored.notification_prefs = prefs(stored) | dict(values)  # a new dict: JSON columns track assignment only
    if micros is not None:
        stored.low_balance_threshold_micros = micros
    session.add(stored)
    session.flush()
    return stored


def latest(session: Session, account_id: int, *, limit: int = 10) -> list[Notification]:
    return notifications(session, account_id, limit=limit)


def unread(session: Session, account_id: int) -> int:
    return unread_count(session, account_id)


def mark_all_read(session: Session, account_id: int, *, now: datetime | None = None) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.account_id == account_id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return result.rowcount or 0


def mark_read(session: Session, account_id: int, notification_id: int, *, now: datetime | None = None) -> None:
    session.execute(
        update(Notification)
        .where(
            Notification.account_id == account_id,
            Notification.id == notification_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now or utcnow())
    )
