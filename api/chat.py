"""POST /api/v1/chat/completions: OpenAI-compatible inference through the router (scope: inference).

Existing OpenAI clients work by pointing their base URL at http://127.0.0.1:8080/api/v1.
Content passes through; only token counts, timings, the route and the cost are recorded.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.bodies import ChatRequest
from api.deps import key_with
from api.errors import ERROR_RESPONSES, APIError
from services import db
from services.catalog import get_catalog
from services.inference import RETRYABLE, InferenceRefused, Plan, plan, record, upstream_body, usage_of
from services.models import Account, ApiKey
from services.routing import RoutingError, fall_back

router = APIRouter(prefix='/api/v1', tags=['inference'], responses=ERROR_RESPONSES)
InferenceKey = Annotated[ApiKey, key_with('inference')]
REFUSALS = {
    'invalid': 422,
    'unknown_model': 404,
    'balance': 402,
    'limit': 402,
    'model_not_allowed': 403,
    'no_route': 503,
}
GENERATION_HEADER = 'X-Lowrouter-Generation-Id'


@router.post(
    '/chat/completions',
    summary='OpenAI-compatible chat completions, routed (scope: inference)',
    responses={
        402: {'description': 'Balance not positive or key limit used up'},
        502: {'description': 'Every upstream failed'},
    },
)
async def chat_completions(request: Request, key: InferenceKey, _checked: ChatRequest) -> Response:
    body = await request.json()  # as the client sent it (checked above): parameters pass through unchanged
    try:
        plan_ = await run_in_threadpool(_plan, key.id, body)
    except InferenceRefused as error:
        raise APIError(REFUSALS[error.kind], error.kind, error.message) from None
    client = httpx.AsyncClient()
    try:
        return await _attempts(client, plan_)
    finally:
        if not plan_.stream:
            await client.aclose()


async def _attempts(client: httpx.AsyncClient, plan_: Plan) -> Response:
    while True:
        upstream = plan_.upstreams[plan_.decision.offer.provider]
        started = time.perf_counter()
        try:
            response = await client.send(
                client.build_request(
                    'POST',
                    f'{upstream.base_url}/chat/completions',
                    json=upstream_body(plan_),
                    headers=upstream.headers(),
                    timeout=upstream.timeout_s,
                ),
                stream=True,
            )
        except RETRYABLE as error:
            outcome = 'timeout' if isinstance(error, httpx.TimeoutException) else 'connection_error'
        else:
            if response.status_code < 500:
                return await _answer(client, plan_, response, started)
            outcome = f'upstream_error: {response.status_code}'
            await response.aclose()
        try:
            plan_.decision = fall_back(plan_.decision, get_catalog(), plan_.policy, outcome)
        except RoutingError as error:
            plan_.decision.trace['attempts'][-1]['outcome'] = outcome
            generation = await run_in_threadpool(_record, plan_, 'failed', 0, 0, _ms(started), None)
            await client.aclose()
            return JSONResponse(
                {'error': {'code': 'upstream_failed', 'message': str(error), 'generation_id': generation.id}},
                status_code=502,
                headers={GENERATION_HEADER: generation.id},
            )


async def _answer(client: httpx.AsyncClient, plan_: Plan, response: httpx.Response, started: float) -> Response:
    headers = {GENERATION_HEADER: plan_.generation_id, 'X-Lowrouter-Model': plan_.decision.offer.model}
    if response.status_code >= 400:  # the client's own mistake: returned as the upstream said it
        content = await response.aread()
        plan_.decision.trace['attempts'][-1]['outcome'] = f'upstream_client_error: {response.status_code}'
        await run_in_threadpool(_record, plan_, 'failed', 0, 0, _ms(started), None)
        await client.aclose()
        return Response(content, status_code=response.status_code, media_type='application/json', headers=headers)
    if not plan_.stream:
        data = json.loads(await response.aread())
        prompt, completion = usage_of(data)
        await run_in_threadpool(_record, plan_, 'completed', prompt, completion, _ms(started), None)
        data['model'] = plan_.decision.offer.model
        return JSONResponse(data, headers=headers)
    return StreamingResponse(_relay(client, plan_, response, started), media_type='text/event-stream', headers=headers)


async def _relay(
    client: httpx.AsyncClient, plan_: Plan, response: httpx.Response, started: float
) -> AsyncIterator[bytes]:
    """Pass server-sent events through as they arrive, reading the final usage chunk on the way."""
    prompt = completion = 0
    first_token_ms = None
    finished = False
    pending = b''
    try:
        async for chunk in response.aiter_raw():
            if first_token_ms is None:
                first_token_ms = _ms(started)
            yield chunk
            pending += chunk
            *lines, pending = pending.split(b'\n')
            for line in lines:
                data = line.strip().removeprefix(b'data:').strip()
                if data == b'[DONE]':
                    finished = True
                elif data.startswith(b'{') and b'"usage"' in data:
                    parsed = json.loads(data)
                    if parsed.get('usage'):
                        prompt, completion = usage_of(parsed)
    finally:
        await response.aclose()
        await client.aclose()
        status = 'completed' if finished else 'failed'
        await run_in_threadpool(_record, plan_, status, prompt, completion, _ms(started), first_token_ms)


def _plan(key_id: int, body: dict) -> Plan:
    with db.session_scope() as session:
        key = session.get(ApiKey, key_id)
        account = session.get(Account, key.account_id)
        session.expunge_all()
        return plan(session, account, key, body)


def _record(plan_: Plan, status: str, prompt: int, completion: int, latency_ms: int, ttft_ms: int | None):
    with db.session_scope() as session:
        return record(
            session,
            plan_,
            status=status,
            prompt_tokens=prompt,
            completion_tokens=completion,
            latency_ms=latency_ms,
            ttft_ms=ttft_ms,
        )


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)
