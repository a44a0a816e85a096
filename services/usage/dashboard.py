"""What the landing page shows, read from hourly rollups (never a scan of generations)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from services.models import Account
from services.timeutil import day_start_utc
from services.usage.rollups import usage_window


@dataclass(frozen=True)
class ModelUsage:
    model: str
    requests: int
    tokens: int
    cost_micros: int
    carbon_g: float
    share: float  # of the window's tokens, 0..1


@dataclass(frozen=True)
class UsageSummary:
    since: datetime
    requests: int
    tokens: int
    cost_micros: int
    by_model: list[ModelUsage]


def usage_since(
    session: Session, account: Account, since: datetime, *, model: str | None = None, key_id: int | None = None
) -> UsageSummary:
    """Requests, tokens and cost since `since`, by model, largest first."""
    usage = usage_window(account.id, since)
    query = select(
        usage.c.model,
        func.sum(usage.c.requests),
        func.sum(usage.c.prompt_tokens + usage.c.completion_tokens),
        func.sum(usage.c.cost_micros),
        func.sum(usage.c.carbon_g),
    ).group_by(usage.c.model)
    if model:
        query = query.where(usage.c.model == model)
    if key_id:
        query = query.where(usage.c.api_key_id == key_id)
    rows = [(m, int(r), int(t), int(c), float(g)) for m, r, t, c, g in session.exec(query)]
    total_tokens = sum(row[2] for row in rows)
    by_model = sorted(
        (ModelUsage(m, r, t, c, g, t / total_tokens if total_tokens else 0.0) for m, r, t, c, g in rows),
        key=lambda u: (-u.tokens, u.model),
    )
    return UsageSummary(
        since=since,
        requests=sum(u.requests for u in by_model),
        tokens=total_tokens,
        cost_micros=sum(u.cost_micros for u in by_model),
        by_model=by_model,
    )


def usage_today(
    session: Session,
    account: Account,
    *,
    model: str | None = None,
    key_id: int | None = None,
    now: datetime | None = None,
) -> UsageSummary:
    """Since local midnight in the account's time zone."""
    return usage_since(session, account, day_start_utc(account.timezone, now), model=model, key_id=key_id)


def top_models(
    session: Session,
    account: Account,
    *,
    days: int = 30,
    model: str | None = None,
    key_id: int | None = None,
    now: datetime | None = None,
) -> UsageSummary:
    """The last `days` local days including today, ranked by tokens."""
    since = day_start_utc(account.timezone, now, days_back=days - 1)
    return usage_since(session, account, since, model=model, key_id=key_id)
