"""The demo account: ~90 days of realistic, deterministic history written through the ingestion service.

Same seed and same `now` -> the same rows. Generations go through `prepare_generation` and
`store_generations`, exactly like API ingestion, in large batches.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from services.account.accounts import create_account
from services.billing.invoices import ensure_invoices
from services.billing.ledger import top_up
from services.catalog import AUTO_MODEL, Catalog, get_catalog
from services.models import Account, ApiKey
from services.routing.engine import Decision, Policy, RoutingError, fall_back, mark_failed, route
from services.routing.policies import set_key_override
from services.usage.ingest import GenerationIn, prepare_generation, store_generations

DEMO_NAME = 'Demo: Northwind Robotics'
DEMO_TIMEZONE = 'Europe/Berlin'
DAYS = 90
PER_DAY = 320  # average weekday requests; weekends are quieter, traffic grows over the window
HOURLY = [1, 1, 1, 1, 1, 2, 3, 6, 9, 11, 12, 12, 10, 11, 12, 12, 11, 9, 7, 5, 4, 3, 2, 1]
FALLBACK_RATE = 0.02
STREAMED_SHARE = 0.4
FAILURE_RATE = 0.005
FAILURES = ('upstream_error: 502', 'timeout', 'connection_error')  # how a failed demo generation's last attempt ended
MIN_TODAY = 12  # requests the demo shows for today at any hour, so the day's widgets have something


@dataclass(frozen=True)
class DemoKey:
    name: str
    share: float
    models: dict[str, float]  # requested model -> weight
    policy: Policy
    prompt_tokens: tuple[int, int]  # median, spread
    completion_tokens: tuple[int, int]
    auto_pool: tuple[str, ...] = ()


DEMO_KEYS = (
    DemoKey(
        'production-web',
        0.45,
        {'openai/gpt-4o-mini': 5, 'google/gemini-2.5-flash': 3, 'anthropic/claude-haiku-4-5': 2},
        Policy(strategy='cheapest'),
        (900, 500),
        (280, 150),
    ),
    DemoKey(
        'eu-support-bot',
        0.25,
        {'mistral/mistral-small': 6, 'anthropic/claude-sonnet-4-5': 3, 'mistral/mistral-large': 1},
        Policy(strategy='prefer_region', prefer_region='eu-west-1'),
        (1400, 600),
        (350, 200),
    ),
    DemoKey(
        'batch-summaries',
        0.2,
        {AUTO_MODEL: 1},
        Policy(strategy='lowest_carbon'),
        (3500, 1500),
        (600, 250),
        auto_pool=('meta-llama/llama-3.1-8b-instruct', 'openai/gpt-oss-120b', 'meta-llama/llama-3.1-70b-instruct'),
    ),
    DemoKey(
        'research-notebook',
        0.1,
        {
            'openai/gpt-4o': 4,
            'anthropic/claude-opus-4-5': 2,
            'google/gemini-2.5-pro': 2,
            'meta-llama/llama-3.1-405b-instruct': 2,
        },
        Policy(strategy='cheapest'),
        (2500, 1500),
        (900, 500),
    ),
)


def create_demo_account(session: Session, *, seed: int = 7, now: datetime | None = None) -> Account:
    """Create the demo account with keys, top-ups and ~20 000 generations. Returns the account."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    catalog = get_catalog()
    rng = random.Random(seed)
    account = create_account(session, name=DEMO_NAME, currency='USD', timezone=DEMO_TIMEZONE, is_demo=True)
    account.email = 'operator@northwind.example'
    keys = [_demo_key(session, account, spec, rng, now) for spec in DEMO_KEYS]
    for spec, key in zip(DEMO_KEYS, keys, strict=True):
        _store_policy(session, account, spec, key)
    generations = [
        prepare_generation(catalog, account, payload, api_key_id=key.id, rng=rng)
        for key, payload in demo_traffic(catalog, keys, rng, now)
    ]
    for start in range(0, len(generations), 2000):
        store_generations(session, generations[start : start + 2000])
    _demo_top_ups(session, account, generations, now)
    session.flush()
    ensure_invoices(session, account, now=now)  # its history happened: its closed months were invoiced then
    return account


def demo_traffic(catalog: Catalog, keys: list[ApiKey], rng: random.Random, now: datetime, *, per_day: int = PER_DAY):
    """Yield (key, payload) for every demo request, oldest first."""
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    decisions: dict[tuple[str, str], object] = {}
    for days_ago in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=days_ago)
        growth = 0.7 + 0.3 * (DAYS - days_ago) / DAYS
        weekend = 0.35 if day.weekday() >= 5 else 1.0
        count = max(0, round(rng.gauss(per_day * growth * weekend, per_day / 20)))
        moments = [m.astimezone(UTC) for m in _moments(rng, day, count)]
        moments = [m for m in moments if m <= now]
        if days_ago == 0 and len(moments) < MIN_TODAY:  # just after midnight: today is never empty
            elapsed = (now - day.astimezone(UTC)).total_seconds()
            moments += [now - timedelta(seconds=elapsed * rng.random()) for _ in range(MIN_TODAY - len(moments))]
        for moment in sorted(moments):
            spec_index = _weighted(rng, {i: k.share for i, k in enumerate(DEMO_KEYS)})
            spec, key = DEMO_KEYS[spec_index], keys[spec_index]
            yield key, _payload(catalog, spec, rng, moment, decisions)


def _payload(catalog: Catalog, spec: DemoKey, rng: random.Random, moment: datetime, decisions: dict) -> GenerationIn:
    requested = _weighted(rng, spec.models)
    pool = list(spec.auto_pool) if requested == AUTO_MODEL else [requested]
    cache_key = (spec.name, requested)
    if cache_key not in decisions:
        decisions[cache_key] = route(catalog, pool, spec.policy, requested_model=requested)
    decision = decisions[cache_key]  # shared, never mutated: fall_back returns a new decision
    if rng.random() < FALLBACK_RATE:
        with contextlib.suppress(RoutingError):  # no alternative offer: the first attempt stands
            decision = fall_back(decision, catalog, spec.policy, rng.choice(['upstream_error: 503', 'timeout']))
    failed = rng.random() < FAILURE_RATE
    if failed:  # its last attempt got no answer: the trace says so, as the gateway's does (the error from the
        # moment, not from rng, so that the rest of the demo history stays what it was)
        decision = Decision(offer=decision.offer, trace=copy.deepcopy(decision.trace))
        mark_failed(decision, FAILURES[int(moment.timestamp()) % len(FAILURES)])
    offer = decision.offer
    prompt = _tokens(rng, *spec.prompt_tokens)
    completion = 0 if failed else _tokens(rng, *spec.completion_tokens)
    latency = round(offer.typical_latency_ms * (completion / 300) ** 0.6 * rng.lognormvariate(0, 0.25)) + 80
    return GenerationIn(
        ttft_ms=None if failed else _streamed_first_token(offer.typical_latency_ms, latency, moment),
        model=offer.model,
        provider=offer.provider,
        region=offer.region,
        requested_model=requested,
        prompt_tokens=prompt,
        completion_tokens=completion,
        latency_ms=latency,
        created_at=moment,
        status='failed' if failed else 'completed',
        cost='0' if failed else None,
        routing_trace=decision.trace,
    )


def _streamed_first_token(typical_latency_ms: int, latency_ms: int, moment: datetime) -> int | None:
    """Two requests in five are streams, with a first token a few hundred ms in. From a generator of its own
    (seeded by the moment), so the rest of the demo history stays what it was."""
    own = random.Random(int(moment.timestamp() * 1_000_000))
    if own.random() >= STREAMED_SHARE:
        return None
    return min(latency_ms, round((180 + 0.06 * typical_latency_ms) * own.lognormvariate(0, 0.35)))


def _moments(rng: random.Random, day: datetime, count: int):
    for _ in range(count):
        hour = _weighted(rng, dict(enumerate(HOURLY)))
        yield day + timedelta(hours=hour, seconds=rng.randrange(3600), microseconds=rng.randrange(1_000_000))


def _tokens(rng: random.Random, median: int, spread: int) -> int:
    sigma = math.log1p(spread / median)
    return max(1, round(median * rng.lognormvariate(0, sigma)))


def _weighted(rng: random.Random, weights: dict):
    choices = list(weights)
    return rng.choices(choices, weights=[weights[c] for c in choices])[0]


def _demo_key(session: Session, account: Account, spec: DemoKey, rng: random.Random, now: datetime) -> ApiKey:
    secret = 'lr-demo-' + ''.join(rng.choice('abcdefghijkmnopqrstuvwxyz23456789') for _ in range(32))
    key = ApiKey(
        account_id=account.id,
        name=spec.name,
        prefix=secret[:11],
        secret_hash=hashlib.sha256(secret.encode()).hexdigest(),
        scopes=['inference', 'read'],
        created_at=now - timedelta(days=DAYS + 3),
        last_used_at=now,
    )
    session.add(key)
    session.flush()
    return key


def _demo_top_ups(session: Session, account: Account, generations: list[dict], now: datetime) -> None:
    """Top-ups sized to the usage so the balance stays positive, ending with a comfortable margin."""
    start = now - timedelta(days=DAYS + 2)
    usage_by_third = [0, 0, 0]
    for g in generations:
        usage_by_third[min(2, int((g['created_at'] - start).days / (DAYS / 3)))] += g['cost_micros']
    for i, used in enumerate(usage_by_third):
        amount = (used // 50_000_000 + 2) * 50_000_000  # whole 50s, a little ahead of use
        result = top_up(session, account, amount, method='bank_transfer', idempotency_key=f'demo-top-up-{i + 1}')
        result.entry.created_at = result.receipt.issued_at = start + timedelta(days=i * DAYS / 3)
        session.add_all([result.entry, result.receipt])


def _store_policy(session: Session, account: Account, spec: DemoKey, key: ApiKey) -> None:
    """Each demo key's routing, as a per-key override of the account defaults (cheapest)."""
    override = {}
    if spec.policy.strategy != 'cheapest':
        override['strategy'] = spec.policy.strategy
    if spec.policy.prefer_region:
        override['prefer_region'] = spec.policy.prefer_region
    if spec.auto_pool:
        override['auto_pool'] = list(spec.auto_pool)
    if override:
        set_key_override(session, account, key.id, override)
