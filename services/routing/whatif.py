"""What-if: replay a window of the account's generations through another routing policy.

Each group of past requests (same requested model, key, and where it ran) is routed again under
the candidate policy; cost and eco figures come from the same functions that priced and stamped
the real records, so "before" and "after" are comparable.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from services.catalog import get_catalog
from services.eco import estimate as eco
from services.models import Account, RouteHour
from services.money import offer_cost_micros
from services.routing.engine import RoutingError, models_for, route
from services.routing.policies import account_settings, complete_settings, key_override, to_policy, validate
from services.usage.rollups import hour_of


@dataclass
class Totals:
    requests: int = 0
    cost_micros: int = 0
    energy_wh: float = 0.0
    carbon_g: float = 0.0


@dataclass
class Preview:
    days: int
    before: Totals = field(default_factory=Totals)
    after: Totals = field(default_factory=Totals)
    moved_requests: int = 0
    unroutable_requests: int = 0  # would be refused: nothing meets the policy
    moves: list[dict[str, Any]] = field(default_factory=list)  # largest first
    requests_by_key: Counter[int] = field(default_factory=Counter)  # key id; 0: recorded without a key
    refused_by_key: Counter[int] = field(default_factory=Counter)

    def change(self, attribute: str) -> float:
        before, after = getattr(self.before, attribute), getattr(self.after, attribute)
        return 100 * (after - before) / before if before else 0.0

    def refused(self, key_id: int | None = None) -> tuple[int, int]:
        """(requests that would be refused, requests replayed): of every key, or of one key with `key_id`."""
        if key_id is None:
            return self.unroutable_requests, self.before.requests
        return self.refused_by_key[key_id], self.requests_by_key[key_id]


def preview(
    session: Session,
    account: Account,
    *,
    days: int = 7,
    account_policy: dict[str, Any] | None = None,
    key_policies: dict[int, dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> Preview:
    """Replay the last `days` days. `account_policy` / `key_policies` replace the stored ones (unsaved drafts)."""
    catalog = get_catalog()
    base = account_settings(session, account) if account_policy is None else complete_settings(account_policy)
    key_policies = {k: validate(v) for k, v in (key_policies or {}).items()}  # PolicyError on a bad draft
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    result = Preview(days=days)
    moves: Counter[tuple[str, str, str, str]] = Counter()
    policies: dict[int | None, Any] = {}
    for group in _groups(session, account.id, since):
        key_id = group['api_key_id']
        if key_id not in policies:
            override = (key_policies or {}).get(key_id) if key_id else None
            if key_id and override is None:
                override = key_override(session, account, key_id)
            policies[key_id] = to_policy(base | (override or {}))
        policy = policies[key_id]
        count = group['requests']
        result.requests_by_key[key_id] += count
        # both sides with today's methodology, so the comparison never mixes versions
        now_impact = _impact(catalog, group['model'], group['provider'], group['region'], group)
        _add(result.before, count, group['cost_micros'], now_impact.energy_wh.value, now_impact.carbon_g.value)
        try:
            decision = route(
                catalog,
                models_for(group['requested_model'], policy),
                policy,
                requested_model=group['requested_model'],
                est_prompt_tokens=max(1, group['prompt_tokens'] // count),
                est_completion_tokens=max(1, group['completion_tokens'] // count),
            )
        except RoutingError:
            result.unroutable_requests += count
            result.refused_by_key[key_id] += count
            _add(result.after, count, group['cost_micros'], now_impact.energy_wh.value, now_impact.carbon_g.value)
            continue
        offer = decision.offer
        impact = _impact(catalog, offer.model, offer.provider, offer.region, group)
        cost = offer_cost_micros(catalog, offer, group['prompt_tokens'], group['completion_tokens'], account.currency)
        _add(result.after, count, cost, impact.energy_wh.value, impact.carbon_g.value)
        if (offer.model, offer.provider, offer.region) != (group['model'], group['provider'], group['region']):
            result.moved_requests += count
            moves[
                (
                    f'{group["provider"]} · {group["region"]}',
                    f'{offer.provider} · {offer.region}',
                    group['model'],
                    offer.model,
                )
            ] += count
    result.moves = [
        {'from': f, 'to': t, 'from_model': fm, 'to_model': tm, 'requests': n}
        for (f, t, fm, tm), n in moves.most_common()
    ]
    return result


def _add(totals: Totals, requests: int, cost: int, energy: float, carbon: float) -> None:
    totals.requests += requests
    totals.cost_micros += int(cost)
    totals.energy_wh += float(energy)
    totals.carbon_g += float(carbon)


def _groups(session: Session, account_id: int, since: datetime) -> list[dict[str, Any]]:
    """Completed requests since the start of `since`'s hour, from the route rollup (never raw generations)."""
    keys = (RouteHour.requested_model, RouteHour.model, RouteHour.provider, RouteHour.region, RouteHour.api_key_id)
    sums = tuple(
        func.sum(getattr(RouteHour, c))
        for c in ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', 'energy_wh', 'carbon_g')
    )
    query = (
        select(*keys, *sums).where(RouteHour.account_id == account_id, RouteHour.hour >= hour_of(since)).group_by(*keys)
    )
    names = ('requested_model', 'model', 'provider', 'region', 'api_key_id', 'requests', 'prompt_tokens')
    names += ('completion_tokens', 'cost_micros', 'energy_wh', 'carbon_g')
    rows = []
    for values in session.exec(query):
        row = dict(zip(names, values, strict=True))
        for name in ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros'):
            row[name] = int(row[name])
        rows.append(row)
    return rows


def _impact(catalog, model: str, provider: str, region: str, group: dict) -> eco.Estimate:
    if model not in catalog.models:  # a model the catalog no longer lists: what was stored is all there is
        span = eco.Span(group['energy_wh'], group['energy_wh'], group['energy_wh'])
        carbon = eco.Span(group['carbon_g'], group['carbon_g'], group['carbon_g'])
        return eco.Estimate(span, 0.0, carbon, eco.Span.zero(), 0.0, None, None, True)
    tokens = group['completion_tokens']
    return eco.estimate(
        catalog, model, provider, region, tokens, prompt_tokens=group['prompt_tokens'], requests=group['requests']
    )
