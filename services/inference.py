"""Inference through the router: checks before the call, the upstream call, and the record after it.

Prompt and response content pass through memory only: nothing here stores or logs them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from sqlmodel import Session

from services.catalog import AUTO_MODEL, get_catalog
from services.ingest import new_generation_id, record_generation, recorded_at
from services.key_usage import ModelNotAllowed, SpendLimitReached, add_spend, check_model, reserve_spend
from services.models import Account, ApiKey, Generation
from services.money import offer_cost_micros
from services.policies import effective, to_policy
from services.routing import Decision, Policy, RoutingError, models_for, route
from services.upstreams import Upstream, load_upstreams
from services.usage import credit_balance

RETRYABLE = (httpx.ConnectError, httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError)
DEFAULT_COMPLETION_TOKENS = 300  # reserved against a key's spend limit when the request sets no max_tokens
MAX_COMPLETION_TOKENS = 10_000_000


class InferenceRefused(Exception):
    """Refused before any upstream call. `kind`: invalid, unknown_model, balance, limit, model_not_allowed, no_route."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


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


def plan(session: Session, account: Account, key: ApiKey, body: dict[str, Any]) -> Plan:
    """Validate the request, enforce balance and key limits, route it and reserve its cost (no network yet).

    The reservation is written in the caller's transaction, which must commit before the upstream call: then
    concurrent requests of a key see each other's reservations, and `record` settles it to the real cost."""
    requested = body.get('model')
    if not isinstance(requested, str) or not requested:
        raise InferenceRefused('invalid', 'model: required, e.g. "lowrouter/auto" or "openai/gpt-4o-mini"')
    if not isinstance(body.get('messages'), list) or not body['messages']:
        raise InferenceRefused('invalid', 'messages: a non-empty list is required')
    catalog = get_catalog()
    if requested != AUTO_MODEL and requested not in catalog.models:
        raise InferenceRefused('unknown_model', f'model: unknown model {requested!r}; see GET /api/v1/models')
    if credit_balance(session, account) <= 0:
        raise InferenceRefused('balance', 'your credit balance is not positive: top up to run inference')
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
        raise InferenceRefused('model_not_allowed', str(error)) from None
    upstreams = load_upstreams()
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
        )
    except RoutingError as error:
        raise InferenceRefused('no_route', str(error)) from None
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
            raise InferenceRefused('limit', str(error)) from None
        add_spend(session, [(account.id, key.id, _hour(generation_id), reserved)])
    stream = bool(body.get('stream'))
    return Plan(account, key, requested, policy, decision, upstreams, generation_id, body, stream, reserved)


def _max_tokens(body: dict[str, Any]) -> int | None:
    for name in ('max_tokens', 'max_completion_tokens'):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_COMPLETION_TOKENS:
            raise InferenceRefused('invalid', f'{name}: a whole number from 1 to {MAX_COMPLETION_TOKENS}')
        return value
    return None


def _hour(generation_id: str):
    return recorded_at(generation_id).replace(minute=0, second=0, microsecond=0)


def upstream_body(plan_: Plan) -> dict[str, Any]:
    offer = plan_.decision.offer
    body = dict(plan_.body) | {'model': plan_.upstreams[offer.provider].model_name(offer.model)}
    if plan_.stream:
        body['stream_options'] = {**(body.get('stream_options') or {}), 'include_usage': True}
    return body


def record(
    session: Session,
    plan_: Plan,
    *,
    status: str,
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    latency_ms: int | None = None,
    ttft_ms: int | None = None,
) -> Generation:
    offer = plan_.decision.offer
    trace = dict(plan_.decision.trace)
    if ttft_ms is not None:
        trace['time_to_first_token_ms'] = ttft_ms
    payload = {
        'model': offer.model,
        'provider': offer.provider,
        'region': offer.region,
        'requested_model': plan_.requested_model,
        'prompt_tokens': prompt_tokens,
        'completion_tokens': completion_tokens,
        'latency_ms': latency_ms,
        'status': status,
        'routing_trace': trace,
    }
    if status != 'completed':
        payload['cost'] = '0'
    generation, _ = record_generation(
        session, plan_.account, payload, api_key_id=plan_.key.id, generation_id=plan_.generation_id
    )
    if plan_.reserved_micros:  # the real cost is now counted: release what was held for it, in one transaction
        add_spend(session, [(plan_.account.id, plan_.key.id, _hour(plan_.generation_id), -plan_.reserved_micros)])
    return generation


def usage_of(data: dict[str, Any]) -> tuple[int, int]:
    usage = data.get('usage') or {}
    return int(usage.get('prompt_tokens') or 0), int(usage.get('completion_tokens') or 0)
