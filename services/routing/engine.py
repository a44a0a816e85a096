"""Routing: request + policy + catalog -> decision + trace. Pure: no database, no network.

The trace is what the transaction page draws: every candidate considered, why excluded ones were
excluded, which was picked, the reason in words, and every attempt when fallbacks were used.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from services.catalog import AUTO_MODEL, Catalog, Offer
from services.eco import estimate as eco
from services.errors import Unavailable

Strategy = Literal['cheapest', 'lowest_carbon', 'prefer_region', 'fixed_provider']
STRATEGIES: tuple[Strategy, ...] = ('cheapest', 'lowest_carbon', 'prefer_region', 'fixed_provider')
DEFAULT_AUTO_POOL = (
    'openai/gpt-4o-mini',
    'google/gemini-2.5-flash',
    'anthropic/claude-haiku-4-5',
    'mistral/mistral-small',
    'meta-llama/llama-3.1-70b-instruct',
    'openai/gpt-oss-120b',
)
CONTINENT = {
    'USA': 'north-america', 'CAN': 'north-america', 'MEX': 'north-america', 'BRA': 'south-america',
    'IRL': 'europe', 'GBR': 'europe', 'FRA': 'europe', 'DEU': 'europe', 'NLD': 'europe', 'BEL': 'europe',
    'FIN': 'europe', 'SWE': 'europe', 'NOR': 'europe', 'CHE': 'europe', 'ITA': 'europe', 'ESP': 'europe',
    'POL': 'europe', 'JPN': 'asia', 'KOR': 'asia', 'SGP': 'asia', 'IND': 'asia', 'AUS': 'oceania',
}  # fmt: skip


class RoutingError(Unavailable, ValueError):
    """No offer can serve the request under the policy (or none is left to fall back to)."""

    code = 'no_route'


@dataclass(frozen=True)
class Policy:
    strategy: Strategy = 'cheapest'
    prefer_region: str | None = None
    fixed_provider: str | None = None
    allow_fallbacks: bool = True
    max_price_per_mtok: Decimal | None = None  # blended (input and output at the request's estimated mix)
    max_latency_ms: int | None = None
    allowed_providers: frozenset[str] | None = None  # None: any
    blocked_providers: frozenset[str] = field(default_factory=frozenset)
    allowed_regions: frozenset[str] | None = None
    blocked_regions: frozenset[str] = field(default_factory=frozenset)
    auto_pool: tuple[str, ...] = DEFAULT_AUTO_POOL


@dataclass(frozen=True)
class Decision:
    offer: Offer
    trace: dict[str, Any]


def route(
    catalog: Catalog,
    model_ids: list[str] | tuple[str, ...],
    policy: Policy,
    *,
    requested_model: str,
    est_prompt_tokens: int = 500,
    est_completion_tokens: int = 300,
    configured: frozenset[str] | None = None,
    cooling: Mapping[str, datetime] | None = None,
) -> Decision:
    """Pick an offer for one of `model_ids` under `policy`, and say why.

    `configured` names the providers this installation can call; None means all (a replay or a record).
    `cooling` maps providers skipped for now (they failed repeatedly or asked to wait) to when they are tried
    again; when every offer left is cooling off, the best of them is tried anyway, and the trace says so.
    """
    offers = [o for m in model_ids for o in catalog.offers_for(m)]
    if policy.strategy == 'fixed_provider' and not any(o.provider == policy.fixed_provider for o in offers):
        serving = sorted({o.provider for o in offers})
        served_by = ', '.join(serving) or 'nobody'
        raise RoutingError(f'{policy.fixed_provider} does not serve {requested_model}; it is served by {served_by}')
    rows = [_candidate(catalog, o, policy, est_prompt_tokens, est_completion_tokens, configured) for o in offers]
    note = _cool_off(rows, cooling or {})
    eligible = [r for r in rows if r['excluded'] is None]
    if not eligible:
        reasons = sorted({r['excluded'] for r in rows})
        raise RoutingError(f'no offer for {requested_model} satisfies the policy ({", ".join(reasons) or "no offers"})')
    picked = min(eligible, key=_ranking(catalog, policy))
    for r in eligible:
        r['status'] = 'picked' if r is picked else 'considered'
    trace = {
        'requested_model': requested_model,
        'strategy': policy.strategy,
        'prefer_region': policy.prefer_region,
        'fixed_provider': policy.fixed_provider,
        'candidates': rows,
        'picked': {k: picked[k] for k in ('provider', 'model', 'region')},
        'reason': _reason(policy, picked, len(eligible)),
        'attempts': [_attempt(picked)],
    }
    if note:
        trace['note'] = note
    return Decision(offer=catalog.offer(picked['model'], picked['provider'], picked['region']), trace=trace)


def _cool_off(rows: list[dict[str, Any]], cooling: Mapping[str, datetime]) -> str | None:
    """Exclude the eligible offers of providers cooling off; when that would leave none, keep them (and say so)."""
    if not cooling:
        return None
    cooled = [r for r in rows if r['excluded'] is None and r['provider'] in cooling]
    for r in cooled:
        r['excluded'] = 'cooling_off'
        r['cooling_off_until'] = cooling[r['provider']].isoformat(timespec='seconds')
    if not cooled or any(r['excluded'] is None for r in rows):
        return None
    for r in cooled:
        r['excluded'] = None
    return 'every offer left was cooling off after failures, so the best of them was tried anyway'


def _attempt(candidate: dict[str, Any]) -> dict[str, Any]:
    return {k: candidate[k] for k in ('provider', 'region', 'model')} | {'outcome': 'ok'}


def models_for(requested_model: str, policy: Policy) -> tuple[str, ...]:
    return policy.auto_pool if requested_model == AUTO_MODEL else (requested_model,)


def fall_back(
    decision: Decision, catalog: Catalog, policy: Policy, error: str, *, skip: frozenset[str] = frozenset()
) -> Decision:
    """The attempt at the picked offer failed (`error`, e.g. 'upstream_error: 503'): take the next best, passing
    over the offers of providers in `skip` (e.g. one that just asked to be left alone for a while).

    Returns a new decision; the given one is left as it was. When no offer is left (or fallbacks are off),
    RoutingError says why (the caller marks the failure on its decision with `mark_failed`).
    """
    trace = copy.deepcopy(decision.trace)
    failed = _mark_failed(trace, error)
    for c in trace['candidates']:
        if c['status'] == 'considered' and c['provider'] in skip:
            c['status'], c['excluded'] = 'excluded', 'cooling_off'
    rest = [c for c in trace['candidates'] if c['status'] == 'considered']
    if not policy.allow_fallbacks or not rest:
        why = 'fallbacks are off' if not policy.allow_fallbacks else 'no other offer is left'
        raise RoutingError(f'{failed["provider"]} failed ({error}) and {why}')
    picked = min(rest, key=_ranking(catalog, policy))
    picked['status'] = 'picked'
    trace['picked'] = {k: picked[k] for k in ('provider', 'model', 'region')}
    trace['reason'] = f'fallback after {failed["provider"]} ({error}): {_reason(policy, picked, len(rest))}'
    trace['attempts'].append(_attempt(picked))
    return Decision(offer=catalog.offer(picked['model'], picked['provider'], picked['region']), trace=trace)


def mark_failed(decision: Decision, error: str) -> None:
    """The last attempt failed with `error` and nothing follows it: its candidate is 'failed', not 'picked'."""
    _mark_failed(decision.trace, error)


def _mark_failed(trace: dict[str, Any], error: str) -> dict[str, Any]:
    failed = next(c for c in trace['candidates'] if c['status'] in ('picked', 'failed') and _is_picked(trace, c))
    failed['status'] = 'failed'
    failed['excluded'] = error
    trace['attempts'][-1]['outcome'] = error
    return failed


def _is_picked(trace: dict[str, Any], candidate: dict[str, Any]) -> bool:
    return all(candidate[k] == trace['picked'][k] for k in ('provider', 'model', 'region'))


def mark_last_attempt(decision: Decision, outcome: str, **details: Any) -> None:
    """Say how the last attempt ended ('ok', 'cancelled', ...) and add details such as its time in ms."""
    decision.trace['attempts'][-1].update({'outcome': outcome, **details})


def carbon_g_per_1k_tokens(catalog: Catalog, offer: Offer) -> float:
    return _facts(catalog, offer)[0]


@cache
def _facts(catalog: Catalog, offer: Offer) -> tuple[float, str]:
    """(g CO2e per 1 000 output tokens, country) of an offer: fixed for a catalog, so computed once."""
    carbon = eco.estimate(catalog, offer.model, offer.provider, offer.region, 1000).carbon_g.value
    region = catalog.regions.get(offer.region)
    return carbon, region.country_iso3 if region else ''


def _candidate(
    catalog: Catalog, offer: Offer, policy: Policy, prompt: int, completion: int, configured: frozenset[str] | None
) -> dict[str, Any]:
    cost = offer.input_usd_per_mtok * prompt + offer.output_usd_per_mtok * completion  # micro-USD
    blended = cost / max(prompt + completion, 1)
    return {
        'provider': offer.provider,
        'model': offer.model,
        'region': offer.region,
        'input_usd_per_mtok': str(offer.input_usd_per_mtok),
        'output_usd_per_mtok': str(offer.output_usd_per_mtok),
        'est_cost_usd': str(cost / 1_000_000),
        'carbon_g_per_1k_tokens': round(_facts(catalog, offer)[0], 4),
        'latency_ms': offer.typical_latency_ms,
        'excluded': _exclusion(offer, policy, blended, configured),
        'status': 'excluded',
    }


def _exclusion(offer: Offer, policy: Policy, blended: Decimal, configured: frozenset[str] | None) -> str | None:
    checks = (
        (policy.strategy == 'fixed_provider' and offer.provider != policy.fixed_provider, 'not_fixed_provider'),
        (offer.provider in policy.blocked_providers, 'blocked_provider'),
        (
            policy.allowed_providers is not None and offer.provider not in policy.allowed_providers,
            'provider_not_allowed',
        ),
        (offer.region in policy.blocked_regions, 'blocked_region'),
        (policy.allowed_regions is not None and offer.region not in policy.allowed_regions, 'region_not_allowed'),
        (policy.max_price_per_mtok is not None and blended > policy.max_price_per_mtok, 'over_max_price'),
        (policy.max_latency_ms is not None and offer.typical_latency_ms > policy.max_latency_ms, 'over_max_latency'),
        (configured is not None and offer.provider not in configured, 'not_configured'),
    )
    return next((reason for failed, reason in checks if failed), None)


def _ranking(catalog: Catalog, policy: Policy):
    def cost(c):
        return Decimal(c['est_cost_usd'])

    if policy.strategy == 'lowest_carbon':
        return lambda c: (c['carbon_g_per_1k_tokens'], cost(c), c['provider'], c['region'])
    if policy.strategy == 'prefer_region':
        return lambda c: (_distance(catalog, c['region'], policy.prefer_region), cost(c), c['provider'], c['region'])
    return lambda c: (cost(c), c['latency_ms'], c['provider'], c['region'], c['model'])


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
    if policy.strategy == 'fixed_provider':
        return f'fixed provider {picked["provider"]}'
    words = {'cheapest': 'the cheapest', 'lowest_carbon': 'the lowest carbon'}.get(
        policy.strategy, f'the closest to {policy.prefer_region}'
    )
    return f'{words} of {count} eligible offer{"s" if count != 1 else ""}'
