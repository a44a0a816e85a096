"""Everything /dashboard shows, read in one go: for the page's first render and for each live refresh.

Rollups only (balance and month from the ledger and usage_hour/usage_day, today, top models and eco impact
from the rollups), plus the newest generations through their index: never a scan of generations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from services import db
from services.billing.ledger import credit_balance
from services.eco.impact import EcoImpact, eco_impact
from services.models import Account, Generation
from services.usage.dashboard import UsageSummary, top_models, usage_today
from services.usage.query import first_usage
from services.usage.totals import key_name, recent_generations, spent_this_month

RECENT = 50  # rows of Recent transactions


@dataclass(frozen=True)
class Landing:
    account: Account
    now: datetime
    balance_micros: int
    spent_month_micros: int
    today: UsageSummary
    top: UsageSummary
    impact: EcoImpact
    recent: list[Generation]
    key_label: str | None
    empty: bool  # nothing recorded yet: the start guide instead of the widgets


def load_landing(account_id: int, *, model: str | None = None, key_id: int | None = None) -> Landing | None:
    """The dashboard of an account filtered by model and key (each filter None for all); None if the account is
    gone. The account is read again, so a change of time zone, currency or baseline shows too."""
    now = datetime.now(UTC)
    with db.read_scope() as session:
        account = session.get(Account, account_id)
        if account is None:
            return None
        today = usage_today(session, account, key_id=key_id, now=now)
        top = top_models(session, account, model=model, key_id=key_id, now=now)
        recent = recent_generations(session, account.id, limit=RECENT, model=model, key_id=key_id)
        return Landing(
            account=account,
            now=now,
            balance_micros=credit_balance(session, account),
            spent_month_micros=spent_this_month(session, account, now=now),
            today=today,
            top=top,
            impact=eco_impact(session, account, model=model, key_id=key_id, now=now),
            recent=recent,
            key_label=key_name(session, key_id) if key_id else None,
            empty=not recent and not today.requests and not top.by_model and first_usage(session, account.id) is None,
        )
