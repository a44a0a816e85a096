"""What each key spent this calendar month (account time zone), and its monthly spend limit.

Cost counts in the hour it was *recorded* (key_spend), whatever `created_at` a generation says, so a
backdated generation cannot dodge the limit; tokens and requests come from the usage query (the rollups).
The limit holds exactly: a request (or a whole batch) is checked against what is left with the key's row
locked, and its spend is written in the same transaction, so concurrent requests queue on the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from services import locales
from services.errors import Forbidden, PaymentRequired
from services.models import Account, ApiKey, KeySpend, utcnow
from services.money import format_money
from services.timeutil import month_start_utc
from services.usage.query import usage, usage_total


@dataclass(frozen=True)
class KeyMonth:
    cost_micros: int = 0
    tokens: int = 0
    requests: int = 0


class SpendLimitReached(PaymentRequired):
    """The key's monthly spend limit is used up, or this cost would pass it."""

    code = 'spend_limit_reached'


class ModelNotAllowed(Forbidden):
    """The key may not use this model."""

    code = 'model_not_allowed'


def month_usage_by_key(session: Session, account: Account, *, now: datetime | None = None) -> dict[int, KeyMonth]:
    """Every key's month so far (key id 0: recorded without a key): cost by recording time, tokens and requests
    from the usage query."""
    start = month_start_utc(account.timezone, now)
    by_key = usage(session, account.id, since=start, group_by=('key',))
    counts = {row.key_id: (row.tokens, row.requests) for row in by_key}
    spend = session.exec(
        select(KeySpend.api_key_id, func.sum(KeySpend.cost_micros))
        .where(KeySpend.account_id == account.id, KeySpend.hour >= start)
        .group_by(KeySpend.api_key_id)
    )
    costs = {key_id: int(cost) for key_id, cost in spend}
    return {k: KeyMonth(costs.get(k, 0), *counts.get(k, (0, 0))) for k in counts.keys() | costs.keys()}


def key_month_usage(session: Session, account: Account, key: ApiKey, *, now: datetime | None = None) -> KeyMonth:
    month = usage_total(session, account.id, since=month_start_utc(account.timezone, now), key_id=key.id)
    return KeyMonth(month_spend(session, account, key.id, now=now), month.tokens, month.requests)


def month_spend(session: Session, account: Account, key_id: int, *, now: datetime | None = None) -> int:
    """What the key spent this calendar month, by recording time (reservations in flight included)."""
    query = select(func.coalesce(func.sum(KeySpend.cost_micros), 0)).where(
        KeySpend.api_key_id == key_id, KeySpend.hour >= month_start_utc(account.timezone, now)
    )
    return int(session.exec(query).one())


def check_model(key: ApiKey, model: str) -> None:
    if key.allowed_models and model not in key.allowed_models:
        raise ModelNotAllowed(f'key "{key.name}" may only use {", ".join(key.allowed_models)}')


def reserve_spend(session: Session, account: Account, key: ApiKey, amount_micros: int) -> None:
    """Raise SpendLimitReached unless `amount_micros` more fits in the key's monthly limit.

    The key's row is locked first (SELECT ... FOR UPDATE on PostgreSQL; SQLite runs one writer at a time) and
    stays locked until the caller's transaction ends, so the caller must write this spend (`store_generations`
    or `add_spend`) in the same transaction: concurrent requests of the key then check one after the other."""
    if key.spend_limit_micros is None:
        return
    query = select(ApiKey.spend_limit_micros).where(ApiKey.id == key.id).with_for_update()
    limit = session.exec(query).one()  # as it is now, not as it was when the request began
    if limit is None:
        return
    spent = month_spend(session, account, key.id)
    if spent + amount_micros <= limit:
        return
    loc = locales.of(account)
    cap = format_money(limit, account.currency, locale=loc)
    if spent >= limit:
        raise SpendLimitReached(f'key "{key.name}" has used its monthly spend limit of {cap}')
    left = format_money(limit - spent, account.currency, locale=loc)
    cost = format_money(amount_micros, account.currency, precise=True, locale=loc)
    raise SpendLimitReached(
        f'key "{key.name}" has {left} left of its monthly spend limit of {cap}; this request costs {cost}'
    )


def add_spend(session: Session, spends: Iterable[tuple[int, int, datetime, int]]) -> None:
    """Add (account id, key id, recording hour, micros) to key_spend; a negative amount settles a reservation."""
    totals: dict[tuple[int, datetime], list[int]] = {}
    for account_id, key_id, hour, micros in spends:
        totals.setdefault((key_id, hour), [account_id, 0])[1] += micros
    rows = [
        {'account_id': account_id, 'api_key_id': key_id, 'hour': hour, 'cost_micros': micros}
        for (key_id, hour), (account_id, micros) in sorted(totals.items())  # one lock order for every writer
        if micros
    ]
    if rows:
        session.connection().execute(_upsert(session.get_bind().dialect.name), rows)  # Core: no ORM execute


def hour_now() -> datetime:
    return utcnow().replace(minute=0, second=0, microsecond=0)


@cache
def _upsert(dialect: str):
    insert = {'sqlite': sqlite.insert, 'postgresql': postgresql.insert}[dialect]
    statement = insert(KeySpend.__table__)
    return statement.on_conflict_do_update(
        index_elements=['api_key_id', 'hour'],
        set_={'cost_micros': KeySpend.__table__.c.cost_micros + statement.excluded.cost_micros},
    )
