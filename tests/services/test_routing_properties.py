"""Property tests of the routing engine: whatever the policy, the pick obeys it."""

import contextlib
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from services.catalog import AUTO_MODEL, get_catalog
from services.routing.engine import Policy, RoutingError, carbon_g_per_1k_tokens, fall_back, models_for, route

CATALOG = get_catalog()
MODELS = sorted(CATALOG.models)
PROVIDERS = sorted(CATALOG.providers)
REGIONS = sorted(CATALOG.regions)

policies = st.builds(
    Policy,
    strategy=st.sampled_from(['cheapest', 'lowest_carbon', 'prefer_region', 'fixed_provider']),
    prefer_region=st.sampled_from(REGIONS),
    fixed_provider=st.sampled_from(PROVIDERS),
    allow_fallbacks=st.booleans(),
    max_price_per_mtok=st.one_of(st.none(), st.decimals(min_value=Decimal('0.05'), max_value=Decimal('20'), places=2)),
    max_latency_ms=st.one_of(st.none(), st.integers(500, 20_000)),
    blocked_providers=st.frozensets(st.sampled_from(PROVIDERS), max_size=3),
    blocked_regions=st.frozensets(st.sampled_from(REGIONS), max_size=4),
    allowed_regions=st.one_of(st.none(), st.frozensets(st.sampled_from(REGIONS), min_size=1, max_size=8)),
    auto_pool=st.lists(st.sampled_from(MODELS), min_size=1, max_size=5, unique=True).map(tuple),
)
requests = st.tuples(st.sampled_from([*MODELS, AUTO_MODEL]), st.integers(1, 20_000), st.integers(1, 4_000))


MIN_PICKED_SHARE = 0.1  # a random policy leaves an offer about a quarter of the time; an always-refusing router never


def _blended(offer, prompt, completion):
    return (offer.input_usd_per_mtok * prompt + offer.output_usd_per_mtok * completion) / (prompt + completion)


def _satisfies(offer, policy, prompt, completion) -> bool:
    """Whether `offer` meets every constraint of `policy` for this request, checked here, not by the engine."""
    return (
        (policy.strategy != 'fixed_provider' or offer.provider == policy.fixed_provider)
        and offer.provider not in policy.blocked_providers
        and (policy.allowed_providers is None or offer.provider in policy.allowed_providers)
        and offer.region not in policy.blocked_regions
        and (policy.allowed_regions is None or offer.region in policy.allowed_regions)
        and (policy.max_latency_ms is None or offer.typical_latency_ms <= policy.max_latency_ms)
        and (policy.max_price_per_mtok is None or _blended(offer, prompt, completion) <= policy.max_price_per_mtok)
    )


def test_the_pick_satisfies_the_policy():
    """Every pick obeys the policy, every refusal is justified (no offer would have), and the router does pick
    in a fair share of the generated cases (a router that always refuses fails)."""
    outcomes = {'picked': 0, 'refused': 0}

    @settings(max_examples=300, deadline=None)
    @given(policy=policies, request=requests)
    def check(policy, request):
        outcomes[_pick_obeys_or_refusal_is_justified(policy, request)] += 1

    check()
    assert outcomes['picked'] >= MIN_PICKED_SHARE * (outcomes['picked'] + outcomes['refused']), outcomes


def _pick_obeys_or_refusal_is_justified(policy, request) -> str:
    requested, prompt, completion = request
    models = models_for(requested, policy)
    try:
        decision = route(
            CATALOG,
            models,
            policy,
            requested_model=requested,
            est_prompt_tokens=prompt,
            est_completion_tokens=completion,
        )
    except RoutingError as error:
        offers = [o for m in models for o in CATALOG.offers_for(m)]
        satisfying = [o for o in offers if _satisfies(o, policy, prompt, completion)]
        assert not satisfying, f'refused ({error}) although {satisfying[0]} satisfies the policy'
        return 'refused'
    offer = decision.offer
    assert offer.model in models
    assert _satisfies(offer, policy, prompt, completion)
    assert offer.provider not in policy.blocked_providers and offer.region not in policy.blocked_regions
    assert policy.allowed_regions is None or offer.region in policy.allowed_regions
    assert policy.max_latency_ms is None or offer.typical_latency_ms <= policy.max_latency_ms
    assert policy.max_price_per_mtok is None or _blended(offer, prompt, completion) <= policy.max_price_per_mtok
    eligible = [c for c in decision.trace['candidates'] if c['excluded'] is None]
    cost = {(c['provider'], c['model'], c['region']): Decimal(c['est_cost_usd']) for c in eligible}
    mine = (offer.provider, offer.model, offer.region)
    if policy.strategy == 'cheapest':
        assert cost[mine] == min(cost.values())
    if policy.strategy == 'lowest_carbon':
        assert carbon_g_per_1k_tokens(CATALOG, offer) <= min(c['carbon_g_per_1k_tokens'] for c in eligible) + 1e-4
    if policy.strategy == 'fixed_provider':
        assert offer.provider == policy.fixed_provider
        with contextlib.suppress(RoutingError):  # a fixed provider is never left, not even by a fallback
            assert fall_back(decision, CATALOG, policy, 'upstream_error: 503').offer.provider == policy.fixed_provider
    return 'picked'


def test_a_fixed_provider_that_does_not_serve_the_model_names_the_alternatives():
    model = 'anthropic/claude-sonnet-4-5'
    serving = sorted({o.provider for o in CATALOG.offers_for(model)})
    try:
        route(CATALOG, [model], Policy(strategy='fixed_provider', fixed_provider='groq'), requested_model=model)
    except RoutingError as error:
        assert all(p in str(error) for p in serving)
    else:
        raise AssertionError('groq does not serve Claude')


def test_unconfigured_providers_are_never_picked():
    model = 'meta-llama/llama-3.1-70b-instruct'
    only = sorted({o.provider for o in CATALOG.offers_for(model)})[-1]
    decision = route(CATALOG, [model], Policy(), requested_model=model, configured=frozenset({only}))
    assert decision.offer.provider == only
    assert {c['excluded'] for c in decision.trace['candidates'] if c['provider'] != only} == {'not_configured'}


def test_changing_defaults_cannot_leave_a_key_override_unusable(session, account):
    import pytest

    from services.keys.api_keys import create_key
    from services.routing.policies import PolicyError, set_account_settings, set_key_override, validate
    from services.routing.whatif import preview

    key = create_key(session, account, name='k', scopes=['inference']).key
    set_account_settings(session, account, {'strategy': 'fixed_provider', 'fixed_provider': 'openai'})
    set_key_override(session, account, key.id, {'strategy': 'fixed_provider'})  # the provider is inherited
    with pytest.raises(PolicyError) as error:
        validate({'strategy': 'prefer_region', 'prefer_region': None})
    assert error.value.field == 'prefer_region'
    with pytest.raises(PolicyError, match='inherits it'):
        set_account_settings(session, account, {'strategy': 'cheapest'})
    with pytest.raises(PolicyError):
        preview(session, account, account_policy={'max_latency_ms': 'soon'})
