"""Recording generations over HTTP: one (POST /generations) or a batch (POST /generations/batch).

The hottest endpoints of the API, so each request is one database transaction in one worker thread:
the key is checked and its use recorded in the same transaction as the generations (a rejected
request writes nothing, not even "last used"), instead of the dependency chain the other routers use,
which costs a thread hop and a transaction per step.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Body, Header
from fastapi.responses import Response
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.bodies import GENERATION_BATCH_BODY, GENERATION_BODY, MAX_BATCH, external_id_of
from api.bodies import GENERATION_EXAMPLE as EXAMPLE
from api.deps import Authorization, authorize_with_account
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.records import GenerationBatchOut, GenerationOut
from api.schemas import generation_out
from services import db
from services.billing.invoices import invoiced_until, surely_not_invoiced
from services.catalog import get_catalog
from services.errors import DomainError
from services.keys.spend import check_model, reserve_spend
from services.models import Account, ApiKey
from services.notifications.outbox import check_low_balance_soon
from services.usage.ingest import (
    CONTENT_FIELDS,
    IngestError,
    check_created_at,
    find_existing,
    find_existing_many,
    parse,
    prepare_generation,
    store_generations,
)

router = APIRouter(prefix='/api/v1', tags=['generations'], responses=ERROR_RESPONSES)
IdempotencyKey = Annotated[
    str | None,
    Header(alias='Idempotency-Key', min_length=1, max_length=200, description='a retry with the same key records once'),
]
INGEST_THREADS = 8  # requests storing at once; more wait their turn (SQLite writes one at a time anyway)
ACCEPTED = {
    'model', 'prompt_tokens', 'completion_tokens', 'provider', 'region', 'requested_model', 'created_at',
    'latency_ms', 'cost', 'external_id', 'status', 'routing_trace',
}  # fmt: skip


@router.post(
    '/generations',
    status_code=201,
    response_model=GenerationOut,  # documents the answer; the endpoint writes its JSON itself (the hot path)
    summary='Record a generation (scope: ingest)',
    openapi_extra=GENERATION_BODY,
    responses={
        200: {'description': 'A retry: the record stored the first time', 'model': GenerationOut},
        **documented(
            402,
            'Key spend limit used up, or this generation would pass it',
            'spend_limit_reached',
            'this key has reached its spend limit for this month',
        ),
    },
)
async def record(
    body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
    authorization: Authorization = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await _in_worker(_record_one, authorization, body, idempotency_key)


@router.post(
    '/generations/batch',
    status_code=201,
    response_model=GenerationBatchOut,
    summary=f'Record up to {MAX_BATCH} generations, all or nothing (scope: ingest)',
    openapi_extra=GENERATION_BATCH_BODY,
    responses={
        200: {'description': 'A retry: every generation was stored by an earlier try', 'model': GenerationBatchOut},
        **documented(
            402,
            'The batch as a whole would pass the key spend limit: nothing is recorded',
            'spend_limit_reached',
            'this key has reached its spend limit for this month',
        ),
    },
)
async def record_batch(
    body: Annotated[dict[str, list[dict[str, Any]]], Body(examples=[{'generations': [EXAMPLE]}])],
    authorization: Authorization = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await _in_worker(_record_many, authorization, body, idempotency_key)


async def _in_worker(record: Callable[..., tuple[int, dict]], *args: Any) -> Response:
    """Run `record` in one of the ingestion threads. A plain executor: anyio's thread hop (capacity limiter,
    cancel scopes) cost as much event-loop time as the rest of the request's handling. Like anyio's, the work
    goes on to its commit or rollback if the client leaves meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_workers(), _answered, record, *args)


@cache
def _workers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(INGEST_THREADS, thread_name_prefix='ingest')


def _answered(record: Callable[..., tuple[int, dict]], *args: Any) -> Response:
    """The answer, written to JSON in the worker thread with orjson: a batch's answer is 500 records, and the
    standard encoder spent an eighth of the server's time on them, on the event loop."""
    status, content = record(*args)
    try:
        body = orjson.dumps(content)
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits in a routing trace: stored, so answered too
        body = json.dumps(content, ensure_ascii=False, separators=(',', ':')).encode()
    return Response(body, status_code=status, media_type='application/json')


def _record_one(authorization: str | None, body: dict, idempotency_key: str | None) -> tuple[int, dict]:
    """Insert first; look for an earlier try only when something stops the insert.

    A retry (same Idempotency-Key or external_id) is answered with the record stored the first time, whatever
    would refuse it now (a spend limit reached since, a model no longer allowed, a unique key taken). New
    records, nearly every request, thus cost no look-up and no savepoint; the unique keys keep a concurrent
    retry from storing twice."""
    account_id = None  # known once the key is: an unknown key learns nothing of stored records
    try:
        with db.session_scope() as session:
            key, account = authorize_with_account(session, authorization, 'ingest')
            account_id = account.id  # a rollback expires `account`
            row = _prepare(account, key, body, idempotency_key, where='', earliest=_earliest(session, account))
            _spend(session, account, key, [row])
            store_generations(session, [row])
            check_low_balance_soon(session, account)
    except (APIError, DomainError, IntegrityError):  # rolled back: nothing of this try is stored
        existing = _earlier_try(account_id, idempotency_key, external_id_of(body))
        if existing is None:
            raise
        return 200, generation_out(existing)
    return 201, generation_out(SimpleNamespace(**row))  # the row as committed, without an ORM round trip


def _earlier_try(account_id: int | None, idempotency_key: str | None, external_id: str | None):
    if account_id is None or not (idempotency_key or external_id):
        return None
    with db.read_scope() as session:
        return find_existing(session, account_id, idempotency_key, external_id)


def _record_many(authorization: str | None, body: dict, idempotency_key: str | None) -> tuple[int, dict]:
    with db.session_scope() as session:
        key, account = authorize_with_account(session, authorization, 'ingest')
        items = body.get('generations')
        if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
            raise APIError(422, 'invalid', f'generations: give a list of 1 to {MAX_BATCH} generations')
        external_ids = [external_id_of(i) for i in items if external_id_of(i)]
        if len(external_ids) != len(set(external_ids)):
            raise APIError(422, 'invalid', 'generations: an external_id appears twice in this batch')
        item_keys = [f'{idempotency_key}:{index}' if idempotency_key else None for index in range(len(items))]
        wanted = [(k, external_id_of(i)) for k, i in zip(item_keys, items, strict=True)]
        rows, stored, earliest = [], [], _earliest(session, account)
        for index, (item, item_key, existing) in enumerate(
            zip(items, item_keys, find_existing_many(session, account.id, wanted), strict=True)
        ):
            if existing is not None:
                stored.append(generation_out(existing))
                continue
            row = _prepare(account, key, item, item_key, where=f'generations.{index}.', earliest=earliest)
            rows.append(row)
            stored.append(generation_out(SimpleNamespace(**row)))
        _spend(session, account, key, rows)  # the batch as a whole: all of it fits in the limit, or none is stored
        created = store_generations(session, rows)
        if created:
            check_low_balance_soon(session, account)
        return (201 if created else 200), {'items': stored, 'created': created}


def _earliest(session: Session, account: Account) -> Callable[[], datetime | None]:
    """Where the invoiced months end, looked up once per request and only when a generation gives created_at."""
    return cache(lambda: invoiced_until(session, account))


def _spend(session: Session, account: Account, key: ApiKey, rows: list[dict]) -> None:
    if not rows:
        return
    reserve_spend(session, account, key, sum(row['cost_micros'] for row in rows))  # SpendLimitReached: a 402


def _prepare(
    account: Account,
    key: ApiKey,
    item: Any,
    idempotency_key: str | None,
    *,
    where: str,
    earliest: Callable[[], datetime | None],
) -> dict:
    if not isinstance(item, dict):
        raise APIError(422, 'invalid', f'{where or "body"}: a generation is a JSON object')
    content = sorted(CONTENT_FIELDS & set(item))
    if content:
        raise APIError(
            422, 'content_not_accepted', f'{where}{content[0]}: lowrouter does not accept prompt or response content'
        )
    unknown = sorted(set(item) - ACCEPTED)
    if unknown:
        raise APIError(422, 'invalid', f'{where}{unknown[0]}: unknown field')
    try:
        payload = parse(item)
        check_model(key, payload.model)
        if payload.created_at is not None:
            invoiced = None if surely_not_invoiced(payload.created_at) else earliest()
            check_created_at(payload.created_at, invoiced)
        return prepare_generation(get_catalog(), account, payload, api_key_id=key.id, idempotency_key=idempotency_key)
    except IngestError as error:  # answered with the generation's place in the batch before its field
        raise APIError(422, 'invalid', f'{where}{error.field}: {error.message}') from None
