"""Routing: request + policy + catalog -> decision + trace. Pure: no database, no network.

The trace is what the transaction page draws: every candidate considered, why excluded ones were
excluded, which was picked and the reason in words.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from services import eco
from services.catalog import Catalog, Offer

Strategy = Literal['cheapest', 'lowest_carbon', 'prefer_region', 'fixed_provider']
STRATEGY_WORDS = {
    'cheapest': 'the cheapest',
    'lowest_carbon': 'the lowest carbon',
    'prefer_region': 'the closest',
    'fixed_provider': 'the fixed provider',
}
CONTINENT = {
    'USA': 'north-america', 'CAN': 'north-america', 'MEX': 'north-america', 'BRA': 'south-america',
    'IRL': 'europe', 'GBR': 'europe', 'FRA': 'europe', 'DEU': 'europe', 'NLD': 'europe', 'BEL': 'europe',
    'FIN': 'europe', 'SWE': 'europe', 'NOR': 'europe', 'CHE': 'europe', 'ITA': 'europe', 'ESP': 'europe',
    'POL': 'europe', 'JPN': 'asia', 'KOR': 'asia', 'SGP': 'asia', 'IND': 'asia', 'AUS': 'oceania',
}  # fmt: skip


class RoutingError(ValueError):
    pass


@dataclass(frozen=True)
class Policy:
    strategy: Strategy = 'cheapest'
    prefer_region: str | None = None
    fixed_provider: str | None = None
    allow_fallbacks: bool = True
    max_price_per_mtok: Decimal | None = None
    max_latency_ms: int | None = None
    blocked_providers: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Decision:
    offer: Offer
    trace: dict[str, Any]


def route(
    catalog: Catalog,
    model_ids: list[str],
    policy: Policy,
    *,
    requested_model: str,
    est_prompt_tokens: int = 500,
    est_completion_tokens: int = 300,
) -> Decision:
    """Pick an offer for one of `model_ids` under `policy`, and say why."""
    rows = [
        _candidate(catalog, o, policy, est_prompt_tokens, est_completion_tokens)
        for m in model_ids
        for o in catalog.offers_for(m)
    ]
    eligible = [r for r in rows if r['excluded'] is None]
    if not eligible:
        raise RoutingError(f'no offer for {requested_model} satisfies the policy')
    picked = min(eligible, key=_ranking(catalog, policy))
    picked['status'] = 'picked'
    for r in eligible:
        if r is not picked:
            r['status'] = 'considered'
    offer = catalog.offer(picked['model'], picked['provider'], picked['region'])
    return Decision(
        offer=offer,
        trace={
            'requested_model': requested_model,
            'strategy': policy.strategy,
            'prefer_region': policy.prefer_region,
            'fixed_provider': policy.fixed_provider,
            'candidates': rows,
            'picked': {k: picked[k] for k in ('provider', 'model', 'region')},
            'reason': _reason(policy, picked, len(eligible)),
            'attempts': [{'provider': picked['provider'], 'region': picked['region'], 'outcome': 'ok'}],
        },
    )


def fall_back(decision: Decision, catalog: Catalog, policy: Policy, error: str) -> Decision:
    """The attempt at the picked offer failed (`error`, e.g. 'upstream_error: 503'): take the next best.

    Returns a new decision; the given one is left as it was.
    """
    trace = copy.deepcopy(decision.trace)
    failed = next(c for c in trace['candidates'] if c['status'] == 'picked')
    failed['status'] = 'failed'
    failed['excluded'] = error
    rest = [c for c in trace['candidates'] if c['status'] == 'considered']
    if not policy.allow_fallbacks or not rest:
        raise RoutingError(f'{failed["provider"]} failed ({error}) and no fallback is allowed or left')
    picked = min(rest, key=_ranking(catalog, policy))
    picked['status'] = 'picked'
    trace['picked'] = {k: picked[k] for k in ('provider', 'model', 'region')}
    trace['reason'] = f'fallback after {failed["provider"]} ({error}): {_reason(policy, picked, len(rest))}'
    trace['attempts'] = [
        *[a | {'outcome': error} if a['outcome'] == 'ok' else a for a in trace['attempts']],
        {'provider': picked['provider'], 'region': picked['region'], 'outcome': 'ok'},
    ]
    return Decision(offer=catalog.offer(picked['model'], picked['provider'], picked['region']), trace=trace)


def carbon_g_per_1k_tokens(catalog: Catalog, offer: Offer) -> float:
    return eco.estimate(catalog, offer.model, offer.provider, offer.region, 1000).carbon_g.value


def _candidate(catalog: Catalog, offer: Offer, policy: Policy, prompt: int, completion: int) -> dict[str, Any]:
    blended = (offer.input_usd_per_mtok * prompt + offer.output_usd_per_mtok * completion) / max(prompt + completion, 1)
    excluded = None
    if offer.provider in policy.blocked_providers:
        excluded = 'blocked_provider'
    elif policy.strategy == 'fixed_provider' and offer.provider != policy.fixed_provider:
        excluded = 'not_fixed_provider'
    elif policy.max_price_per_mtok is not None and blended > policy.max_price_per_mtok:
        excluded = 'over_max_price'
    elif policy.max_latency_ms is not None and offer.typical_latency_ms > policy.max_latency_ms:
        excluded = 'over_max_latency'
    return {
        'provider': offer.provider,
        'model': offer.model,
        'region': offer.region,
        'input_usd_per_mtok': str(offer.input_usd_per_mtok),
        'output_usd_per_mtok': str(offer.output_usd_per_mtok),
        'est_cost_usd': str((offer.input_usd_per_mtok * prompt + offer.output_usd_per_mtok * completion) / 1_000_000),
        'carbon_g_per_1k_tokens': round(carbon_g_per_1k_tokens(catalog, offer), 4),
        'latency_ms': offer.typical_latency_ms,
        'excluded': excluded,
        'status': 'excluded' if excluded else 'considered',
    }


def _ranking(catalog: Catalog, policy: Policy):
    def cost(c):
        return Decimal(c['est_cost_usd'])

    if policy.strategy == 'lowest_carbon':
        return lambda c: (c['carbon_g_per_1k_tokens'], cost(c), c['provider'], c['region'])
    if policy.strategy == 'prefer_region':
        return lambda c: (_distance(catalog, c['region'], policy.prefer_region), cost(c), c['provider'], c['region'])
    return lambda c: (cost(c), c['latency_ms'], c['provider'], c['region'])


def _distance(catalog: Catalog, region: str, wanted: str | None) -> int:
    if wanted is None or region == wanted:
        return 0
    here, there = catalog.regions.get(region), catalog.regions.get(wanted)
    if here is None or there is None:
        return 3
    if here.country_iso3 == there.country_iso3:
        return 1
    return 2 if CONTINENT.get(here.country_iso3) == CONTINENT.get(there.country_iso3) else 3


def _reason(policy: Policy, picked: dict[str, Any], count: int) -> str:
    words = STRATEGY_WORDS[policy.strategy]
    if policy.strategy == 'prefer_region':
        words = f'the closest to {policy.prefer_region}'
    if policy.strategy == 'fixed_provider':
        return f'fixed provider {picked["provider"]}'
    return f'{words} of {count} eligible offer{"s" if count != 1 else ""}'
