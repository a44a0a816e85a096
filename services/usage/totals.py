"""Usage queries: what the dashboard and the API show about generations and spending."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from services.models import Account, ApiKey, Generation, LedgerEntry
from services.timeutil import month_start_utc
from services.usage.rollups import usage_window


def recent_generations(
    session: Session, account_id: int, *, limit: int = 50, model: str | None = None, key_id: int | None = None
) -> list[Generation]:
    """The newest generations first (indexes: account_id with created_at, model or key)."""
    query = select(Generation).where(Generation.account_id == account_id)
    if model:
        query = query.where(Generation.model == model)
    if key_id:
        query = query.where(Generation.api_key_id == key_id)
    return list(session.exec(query.order_by(Generation.created_at.desc(), Generation.id.desc()).limit(limit)))


def get_generation(session: Session, account_id: int, generation_id: str) -> Generation | None:
    generation = session.get(Generation, generation_id)
    return generation if generation is not None and generation.account_id == account_id else None


def credits_total(session: Session, account_id: int) -> int:
    return session.exec(
        select(func.coalesce(func.sum(LedgerEntry.amount_micros), 0)).where(LedgerEntry.account_id == account_id)
    ).one()


def usage_cost(session: Session, account_id: int, *, since: datetime | None = None) -> int:
    usage = usage_window(account_id, since)
    return session.exec(select(func.coalesce(func.sum(usage.c.cost_micros), 0))).one()


def credit_balance(session: Session, account: Account) -> int:
    """Balance = credits - usage, in micro-units of the account currency."""
    return int(credits_total(session, account.id)) - int(usage_cost(session, account.id))


def spent_this_month(session: Session, account: Account, *, now: datetime | None = None) -> int:
    return int(usage_cost(session, account.id, since=month_start_utc(account.timezone, now)))


def key_name(session: Session, key_id: int | None) -> str | None:
    key = session.get(ApiKey, key_id) if key_id else None
    return key.name if key else None
