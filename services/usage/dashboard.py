"""What the landing page shows, read through the usage query (services/usage/query.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from services.models import Account
from services.timeutil import day_start_utc
from services.usage.query import usage


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
    found = usage(session, account.id, since=since, group_by=('model',), model=model or None, key_id=key_id or None)
    rows = [(u.model, u.requests, u.tokens, u.cost_micros, u.carbon_g) for u in found]
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
