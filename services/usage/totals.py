"""Usage queries: what the dashboard and the API show about generations and spending.

The balance (credits minus usage) lives with the ledger: services/billing/ledger.py."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from services.models import Account, ApiKey, Generation
from services.timeutil import month_start_utc
from services.usage.query import usage_total


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


def spent_this_month(session: Session, account: Account, *, now: datetime | None = None) -> int:
    """What the usage of this calendar month (the account's time zone) cost, in micro-units."""
    return usage_total(session, account.id, since=month_start_utc(account.timezone, now)).cost_micros


def key_name(session: Session, key_id: int | None) -> str | None:
    key = session.get(ApiKey, key_id) if key_id else None
    return key.name if key else None
