"""POST /api/v1/chat/completions: OpenAI-compatible inference through the router (scope: inference).

Existing OpenAI clients work by pointing their base URL at http://127.0.0.1:8080/api/v1.
Content passes through; only token counts, timings, the route and the cost are recorded.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.bodies import ChatRequest
from api.chat_stream import Relay, RelayResponse
from api.deps import cached_key_with
from api.errors import ERROR_RESPONSES, NOT_STORED, APIError, documented, error_body
from api.responses.catalog import CHAT_STREAM, ChatCompletionOut
from api.responses.common import non_json
from services import db
from services.billing.ledger import credit_balance
from services.catalog import get_catalog
from services.models import Account, ApiKey
from services.routing import hot_cache
from services.routing.engine import RoutingError, fall_back, mark_failed, mark_last_attempt
from services.routing.gateway import get_gateway
from services.routing.inference import Plan, outcome, plan, upstream_body, usage_of
from services.routing.policies import effective
from services.routing.recorder import get_recorder
from services.routing.upstream_clients import Reply, UpstreamUnavailable
from services.routing.upstream_health import retry_after_seconds

log = logging.getLogger('lowrouter')
router = APIRouter(prefix='/api/v1', tags=['inference'], responses=ERROR_RESPONSES)
InferenceCaller = Annotated[tuple[ApiKey, Account], cached_key_with('inference')]
GENERATION_HEADER = 'X-Lowrouter-Generation-Id'
OVERHEAD_HEADER = 'X-Lowrouter-Overhead-Ms'  # time spent in lowrouter, the upstream's excluded


@router.post(
    '/chat/completions',
    response_model=ChatCompletionOut,  # documents the answer; the upstream's JSON is passed on as it came
    summary='OpenAI-compatible chat completions, routed (scope: inference)',
    responses={
        200: non_json('text/event-stream', CHAT_STREAM) | {'description': 'The completion, or its stream of events'},
        **documented(
            402, 'Balance not positive or key limit used up', 'balance', 'your credit balance is not positive: top up…'
        ),
        **documented(404, 'No model with this id in the catalog', 'unknown_model', "model: unknown model 'acme/x'; …"),
        **documented(429, 'Every offer left is rate limited; Retry-After says when to try again', 'rate_limited', '…'),
        **documented(502, 'Every upstream failed', 'upstream_failed', 'every offer failed'),
        **documented(
            503,
            'No configured provider can serve the request (no_route), or the generation could not be recorded '
            '(not_stored)',
            'no_route',
            'no configured provider serves this request',
        ),
    },
)
async def chat_completions(request: Request, caller: InferenceCaller, _checked: ChatRequest) -> Response:
    received = request.scope.get('state', {}).get('received') or time.perf_counter()
    body = orjson.loads(await request.body())  # as the client sent it (checked above): passed on unchanged
    plan_ = _plan_from_memory(*caller, body) or await run_in_threadpool(_plan, *caller, body)  # or InferenceRefused
    plan_.received = received
    return await Attempts(plan_).run()


class Attempts:
    """Calls the picked offer and, on a 429, a 5xx, a timeout or a refused connection, the next one."""

    def __init__(self, plan_: Plan) -> None:
        self.plan = plan_
        self.gateway = get_gateway()
        self.upstream_s = 0.0  # time spent waiting for upstreams, excluded from the overhead

    async def run(self) -> Response:
        while True:
            offer = self.plan.decision.offer
            upstream = self.plan.upstreams[offer.provider]
            client = self.gateway.client(upstream)
            started = time.perf_counter()
            retry_after = None
            try:
                response = await client.post(orjson.dumps(upstream_body(self.plan)))
                data = await _json_of(response) if response.status < 400 and not self.plan.stream else None
            except UpstreamUnavailable as error:
                outcome = error.kind
            except ValueError:  # a success status with a body that is no completion
                outcome = 'bad_response'
            else:
                status = response.status
                if status < 400 or status in CLIENT_ERRORS:
                    self.gateway.health.succeeded(offer.provider)  # it answered: a client error is not its fault
                    self.upstream_s += time.perf_counter() - started
                    return await self._answer(response, started, data)
                retry_after = retry_after_seconds(response.headers.get('retry-after'))
                outcome = f'rate_limited: {status}' if status == 429 else f'upstream_error: {status}'
                await response.close(early=True)
            self.upstream_s += time.perf_counter() - started
            answer = await self._failed(outcome, started, retry_after)
            if answer is not None:
                return answer

    async def _failed(self, outcome: str, started: float, retry_after: float | None) -> Response | None:
        """Cool the provider off if due and fall back; when nothing is left, record and answer the failure."""
        provider = self.plan.decision.offer.provider
        self.gateway.health.failed(provider, outcome, retry_after)
        details = {'ms': _ms(started)} | ({'retry_after_s': round(retry_after, 1)} if retry_after is not None else {})
        mark_last_attempt(self.plan.decision, outcome, **details)
        cooling = frozenset(self.gateway.health.cooling())
        try:
            self.plan.decision = fall_back(self.plan.decision, get_catalog(), self.plan.policy, outcome, skip=cooling)
            return None
        except RoutingError as error:
            mark_failed(self.plan.decision, outcome)
            message = str(error)
        generation_id = await _store(self.plan, 'failed', 0, 0, _ms(self.plan.received), None)
        headers = {GENERATION_HEADER: generation_id, OVERHEAD_HEADER: self._overhead()}
        if retry_after is not None:
            headers['Retry-After'] = str(max(1, round(retry_after)))
        if outcome.startswith('rate_limited'):
            body = error_body('rate_limited', f'{message}; try again later')
            return JSONResponse(_with_id(body, generation_id), status_code=429, headers=headers)
        return JSONResponse(_with_id(error_body('upstream_failed', message), generation_id), 502, headers=headers)

    async def _answer(self, response: Reply, started: float, data: dict | None) -> Response:
        plan_ = self.plan
        headers = {GENERATION_HEADER: plan_.generation_id, 'X-Lowrouter-Model': plan_.decision.offer.model}
        if response.status >= 400:  # the client's own mistake: returned as the upstream said it
            try:
                content = await response.read()
            except UpstreamUnavailable:
                content = b''
            mark_failed(plan_.decision, f'upstream_client_error: {response.status}')
            mark_last_attempt(plan_.decision, f'upstream_client_error: {response.status}', ms=_ms(started))
            await _store(plan_, 'failed', 0, 0, _ms(plan_.received), None)
            headers[OVERHEAD_HEADER] = self._overhead()
            return Response(content, response.status, headers=headers, media_type='application/json')
        mark_last_attempt(plan_.decision, 'ok', ms=_ms(started))
        if plan_.stream:
            headers[OVERHEAD_HEADER] = self._overhead()
            relay = Relay(plan_, response, started, _store)
            return RelayResponse(relay.events(), media_type='text/event-stream', headers=headers)
        prompt, completion = usage_of(data)
        await _store(plan_, 'completed', prompt, completion, _ms(plan_.received), None)
        data['model'] = plan_.decision.offer.model
        headers[OVERHEAD_HEADER] = self._overhead()
        return Response(orjson.dumps(data), headers=headers, media_type='application/json')

    def _overhead(self) -> str:
        return f'{(time.perf_counter() - self.plan.received - self.upstream_s) * 1000:.2f}'


# the request's own mistakes, returned as the upstream said them; other 4xx (a 401 for lowrouter's provider key, a
# 404 for a model the provider lacks, a 429) are the provider's problem: the next offer is tried
CLIENT_ERRORS = frozenset({400, 413, 415, 422})


async def _json_of(response: Reply) -> dict:
    """A non-streamed answer's completion; ValueError when the body is not a JSON object."""
    data = orjson.loads(await response.read())
    if not isinstance(data, dict):
        raise ValueError('the answer is not a JSON object')
    return data


def _with_id(body: dict, generation_id: str) -> dict:
    body['error']['generation_id'] = generation_id
    return body


def _plan_from_memory(key: ApiKey, account: Account, body: dict) -> Plan | None:
    """The plan, when everything it needs is in memory (no I/O: it runs in the event loop); else None."""
    balance = hot_cache.peek(('balance', account.id))
    settings = hot_cache.peek(('policy', account.id, key.id))
    if hot_cache.MISSING in (balance, settings) or key.spend_limit_micros is not None:
        return None
    return plan(None, account, key, body, balance_micros=balance, settings=settings)


def _plan(key: ApiKey, account: Account, body: dict) -> Plan:
    """Policy and route from memory (services/routing/hot_cache.py); a write session only when a spend limit needs its
    reservation stored."""
    balance = hot_cache.get(('balance', account.id), lambda: _read(credit_balance, account))
    settings = hot_cache.get(('policy', account.id, key.id), lambda: _read(effective, account, key.id)[0])
    if key.spend_limit_micros is None:
        return plan(None, account, key, body, balance_micros=balance, settings=settings)
    with db.session_scope() as session:
        return plan(session, account, key, body, balance_micros=balance, settings=settings)


def _read(query, *args):
    with db.read_scope() as session:
        return query(session, *args)


async def _store(
    plan_: Plan,
    status: str,
    prompt: int,
    completion: int,
    latency_ms: int,
    ttft_ms: int | None,
    *,
    estimated: bool = False,
) -> str:
    """Record the generation (journalled when this returns; in the database a moment later); its id."""
    entry = outcome(
        plan_,
        status=status,
        prompt_tokens=prompt,
        completion_tokens=completion,
        latency_ms=latency_ms,
        ttft_ms=ttft_ms,
        estimated=estimated,
    )
    try:
        get_recorder().record(entry)
    except OSError as error:
        log.error('could not journal generation %s: %s', entry['id'], error)
        raise APIError(503, 'not_stored', NOT_STORED) from None
    return entry['id']


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
