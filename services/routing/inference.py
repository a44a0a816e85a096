"""Inference through the router: checks before the call, the upstream call, and the record after it.

Prompt and response content pass through memory only: nothing here stores or logs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session

from services.billing.ledger import credit_balance
from services.catalog import AUTO_MODEL, Catalog, get_catalog
from services.errors import DomainError, Forbidden, InvalidInput, NotFound, PaymentRequired, Unavailable
from services.keys.spend import ModelNotAllowed, SpendLimitReached, add_spend, check_model, reserve_spend
from services.live.changes import note_generations
from services.models import Account, ApiKey, Generation, utcnow
from services.money import offer_cost_micros
from services.routing.engine import Decision, Policy, RoutingError, models_for, route
from services.routing.gateway import get_gateway
from services.routing.policies import effective, to_policy
from services.routing.upstreams import Upstream
from services.usage.generation_ids import new_generation_id, recorded_at, recording_hour
from services.usage.ingest import GenerationIn, prepare_generation
from services.usage.rollups import add_to_rollups

DEFAULT_COMPLETION_TOKENS = 300  # reserved against a key's spend limit when the request sets no max_tokens
MAX_COMPLETION_TOKENS = 10_000_000


class InferenceRefused(DomainError):
    """Refused before any upstream call; one subclass per reason. `kind` is its code: invalid, unknown_model,
    balance, limit, model_not_allowed, no_route."""

    @property
    def kind(self) -> str:
        return self.code


class RequestInvalid(InferenceRefused, InvalidInput):
    """The request lacks what inference needs, or gives it in a form lowrouter cannot use."""


class UnknownModel(InferenceRefused, NotFound):
    code = 'unknown_model'


class BalanceNotPositive(InferenceRefused, PaymentRequired):
    code = 'balance'


class LimitReached(InferenceRefused, PaymentRequired):
    """The key's monthly spend limit leaves no room for this request."""

    code = 'limit'


class ModelRefused(InferenceRefused, Forbidden):
    """The key may not use the model asked for (or any model of the auto pool)."""

    code = 'model_not_allowed'


class NoRoute(InferenceRefused, Unavailable):
    """No configured provider can serve the request under the policy."""

    code = 'no_route'


@dataclass
class Plan:
    account: Account
    key: ApiKey
    requested_model: str
    policy: Policy
    decision: Decision
    upstreams: dict[str, Upstream]
    generation_id: str
    body: dict[str, Any]
    stream: bool
    reserved_micros: int = 0  # held against the key's spend limit until the request is recorded
    prompt_estimate: int = 0  # tokens, from the messages' length: what a cancelled stream is charged
    received: float = 0.0  # time.perf_counter() when the request arrived

    @property
    def wants_usage(self) -> bool:
        """Whether the client asked for the usage chunk at the end of a stream (lowrouter always asks for it)."""
        return bool((self.body.get('stream_options') or {}).get('include_usage'))


def plan(
    session: Session | None,
    account: Account,
    key: ApiKey,
    body: dict[str, Any],
    *,
    balance_micros: int | None = None,
    settings: dict[str, Any] | None = None,
) -> Plan:
    """Validate the request, enforce balance and key limits, route it and reserve its cost (no network yet).

    The reservation is written in the caller's transaction, which must commit before the upstream call: then
    concurrent requests of a key see each other's reservations, and `record` settles it to the real cost.
    The balance and the policy in force may be given (from services/routing/hot_cache.py); with both given, a key
    without a spend limit needs no session at all."""
    requested = body.get('model')
    if not isinstance(requested, str) or not requested:
        raise RequestInvalid('model', 'required, e.g. "lowrouter/auto" or "openai/gpt-4o-mini"')
    if not isinstance(body.get('messages'), list) or not body['messages']:
        raise RequestInvalid('messages', 'a non-empty list is required')
    catalog = get_catalog()
    if requested != AUTO_MODEL and requested not in catalog.models:
        raise UnknownModel('model', f'unknown model {requested!r}; see GET /api/v1/models')
    if (credit_balance(session, account) if balance_micros is None else balance_micros) <= 0:
        raise BalanceNotPositive('your credit balance is not positive: top up to run inference')
    if settings is None:
        settings, _ = effective(session, account, key.id)
    policy = to_policy(settings)
    candidates = models_for(requested, policy)
    try:
        for model in candidates if requested != AUTO_MODEL else ():
            check_model(key, model)
        if requested == AUTO_MODEL:
            allowed = [m for m in candidates if not key.allowed_models or m in key.allowed_models]
            if not allowed:
                raise ModelNotAllowed(f'key "{key.name}" may use none of the auto pool')
            candidates = tuple(allowed)
    except ModelNotAllowed as error:
        raise ModelRefused(str(error)) from None
    gateway = get_gateway()
    upstreams = gateway.current()
    messages = json.dumps(body['messages'])
    prompt_estimate = max(1, len(messages) // 4)
    completion_estimate = _max_tokens(body) or DEFAULT_COMPLETION_TOKENS
    try:
        decision = route(
            catalog,
            candidates,
            policy,
            requested_model=requested,
            est_prompt_tokens=prompt_estimate,
            est_completion_tokens=completion_estimate,
            configured=frozenset(upstreams),
            cooling=gateway.health.cooling(),
        )
    except RoutingError as error:
        raise NoRoute(f'{error}. {_configured_words(upstreams, gateway.path.name)}') from None
    generation_id = new_generation_id()
    # at most one token per byte of the prompt as sent, and the completion the client allows (or a default)
    reserved = 0
    if key.spend_limit_micros is not None:
        reserved = offer_cost_micros(
            catalog, decision.offer, len(messages.encode()), completion_estimate, account.currency
        )
        try:
            reserve_spend(session, account, key, reserved)
        except SpendLimitReached as error:
            raise LimitReached(str(error)) from None
        add_spend(session, [(account.id, key.id, _hour(generation_id), reserved)])
    stream = bool(body.get('stream'))
    plan_ = Plan(account, key, requested, policy, decision, upstreams, generation_id, body, stream, reserved)
    plan_.prompt_estimate = prompt_estimate
    return plan_


def _configured_words(upstreams: dict[str, Upstream], file_name: str) -> str:
    have = f'Configured providers: {", ".join(sorted(upstreams))}' if upstreams else 'No provider is configured'
    return (
        f'{have}. To add one, give it a [providers.<name>] section with its base_url (and api_key_env) in '
        f'{file_name}, as in upstreams.example.toml'
    )


def _max_tokens(body: dict[str, Any]) -> int | None:
    for name in ('max_tokens', 'max_completion_tokens'):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_COMPLETION_TOKENS:
            raise RequestInvalid(name, f'a whole number from 1 to {MAX_COMPLETION_TOKENS}')
        return value
    return None


def _hour(generation_id: str):
    return recorded_at(generation_id).replace(minute=0, second=0, microsecond=0)


def upstream_body(plan_: Plan) -> dict[str, Any]:
    """The client's body as sent, with the provider's model name; a stream always asks for its usage (to record
    the tokens), and the relay passes that chunk on only when the client asked for it too."""
    offer = plan_.decision.offer
    body = dict(plan_.body) | {'model': plan_.upstreams[offer.provider].model_name(offer.model)}
    if plan_.stream:
        body['stream_options'] = {**(body.get('stream_options') or {}), 'include_usage': True}
    return body


def estimate_tokens(text_chars: int, chunks: int) -> int:
    """Completion tokens of a stream cut short, from what was streamed: about 4 characters a token, and at least
    one a chunk that carried text (providers send one or a few tokens a chunk)."""
    return max(chunks, round(text_chars / 4))


def outcome(
    plan_: Plan,
    *,
    status: str,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    latency_ms: int | None = None,
    ttft_ms: int | None = None,
    estimated: bool = False,
) -> dict[str, Any]:
    """What is recorded of a routed request, as plain JSON values (the journal's entry): `row` makes the
    generation's columns from it. `estimated`: the completion tokens were counted from the streamed text."""
    offer = plan_.decision.offer
    trace = dict(plan_.decision.trace)
    if estimated:
        trace['tokens_estimated'] = True
    return {
        'id': plan_.generation_id,
        'account_id': plan_.account.id,
        'currency': plan_.account.currency,
        'api_key_id': plan_.key.id,
        'created_at': utcnow().isoformat(),
        'requested_model': plan_.requested_model,
        'model': offer.model,
        'provider': offer.provider,
        'region': offer.region,
        'prompt_tokens': prompt_tokens,
        'completion_tokens': completion_tokens,
        'latency_ms': latency_ms,
        'ttft_ms': ttft_ms,
        'status': status,
        'trace': trace,
        'reserved_micros': plan_.reserved_micros,
    }


@dataclass(frozen=True)
class _Payer:
    """What pricing needs of the account."""

    id: int
    currency: str


def row(entry: dict[str, Any], catalog: Catalog | None = None) -> dict[str, Any]:
    """The generation's columns for an `outcome` entry, priced and estimated like every other record. A failed
    request costs nothing; a cancelled one is charged for what was streamed."""
    payload = GenerationIn.model_construct(
        model=entry['model'],
        provider=entry['provider'],
        region=entry['region'],
        requested_model=entry['requested_model'],
        prompt_tokens=entry['prompt_tokens'],
        completion_tokens=entry['completion_tokens'],
        created_at=datetime.fromisoformat(entry['created_at']),
        latency_ms=entry['latency_ms'],
        ttft_ms=entry['ttft_ms'],
        status=entry['status'],
        cost=Decimal(0) if entry['status'] == 'failed' else None,
        routing_trace=entry['trace'],
    )
    payer = _Payer(entry['account_id'], entry['currency'])
    return prepare_generation(
        catalog or get_catalog(), payer, payload, api_key_id=entry['api_key_id'], generation_id=entry['id']
    )


def store(session: Session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store `outcome` entries as generations with their rollups and key spend, releasing what their plans
    reserved against spend limits: one transaction, the caller's. Returns the rows stored."""
    catalog = get_catalog()
    rows = [row(entry, catalog) for entry in entries]
    session.execute(insert(Generation.__table__), rows)
    add_to_rollups(session, rows)
    spends = [(r['account_id'], r['api_key_id'], recording_hour(r), r['cost_micros']) for r in rows]
    releases = [(e['account_id'], e['api_key_id'], _hour(e['id']), -e['reserved_micros']) for e in entries]
    add_spend(session, [s for s in spends + releases if s[1] and s[3]])
    note_generations(session, rows)  # told to open pages once committed
    return rows


def record(session: Session, plan_: Plan, **details: Any) -> Generation:
    """The request's `outcome` stored at once, in the caller's transaction."""
    return Generation.model_validate(store(session, [outcome(plan_, **details)])[0])


def usage_of(data: dict[str, Any]) -> tuple[int, int]:
    """(prompt, completion) tokens of a completion's usage block; 0 for what is missing or not a count."""
    usage = data.get('usage')
    usage = usage if isinstance(usage, dict) else {}
    return _count(usage.get('prompt_tokens')), _count(usage.get('completion_tokens'))


def _count(value: Any) -> int:
    return (
        value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COMPLETION_TOKENS else 0
    )
