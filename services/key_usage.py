"""What each key spent this calendar month (account time zone), from the hourly rollups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from services.models import Account, ApiKey, UsageHour
from services.timeutil import month_start_utc


@dataclass(frozen=True)
class KeyMonth:
    cost_micros: int = 0
    tokens: int = 0
    requests: int = 0


def month_usage_by_key(session: Session, account: Account, *, now: datetime | None = None) -> dict[int, KeyMonth]:
    query = (
        select(
            UsageHour.api_key_id,
            func.sum(UsageHour.cost_micros),
            func.sum(UsageHour.prompt_tokens + UsageHour.completion_tokens),
            func.sum(UsageHour.requests),
        )
        .where(UsageHour.account_id == account.id, UsageHour.hour >= month_start_utc(account.timezone, now))
        .group_by(UsageHour.api_key_id)
    )
    return {key_id: KeyMonth(int(c), int(t), int(r)) for key_id, c, t, r in session.exec(query)}


def key_month_usage(session: Session, account: Account, key: ApiKey, *, now: datetime | None = None) -> KeyMonth:
    query = select(
        func.coalesce(func.sum(UsageHour.cost_micros), 0),
        func.coalesce(func.sum(UsageHour.prompt_tokens + UsageHour.completion_tokens), 0),
        func.coalesce(func.sum(UsageHour.requests), 0),
    ).where(
        UsageHour.account_id == account.id,
        UsageHour.api_key_id == key.id,
        UsageHour.hour >= month_start_utc(account.timezone, now),
    )
    cost, tokens, requests = session.exec(query).one()
    return KeyMonth(int(cost), int(tokens), int(requests))


def limit_exhausted(session: Session, account: Account, key: ApiKey, *, now: datetime | None = None) -> bool:
    if key.spend_limit_micros is None:
        return False
    return key_month_usage(session, account, key, now=now).cost_micros >= key.spend_limit_micros


class SpendLimitReached(Exception):
    pass


class ModelNotAllowed(Exception):
    pass


def check_key_may_spend(session: Session, account: Account, key: ApiKey, model: str) -> None:
    """Raise when `key` may not record or run a generation of `model` (allowed models, monthly limit)."""
    from services.money import format_money

    if key.allowed_models and model not in key.allowed_models:
        raise ModelNotAllowed(f'key "{key.name}" may only use {", ".join(key.allowed_models)}')
    if limit_exhausted(session, account, key):
        limit = format_money(key.spend_limit_micros, account.currency)
        raise SpendLimitReached(f'key "{key.name}" has used its monthly spend limit of {limit}')
