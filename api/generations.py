"""Generations over HTTP: record one or many, list them (cursor-paged), read one, export CSV."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from sqlmodel import Session

from api.deps import IngestKey, ReadKey, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError
from api.schemas import generation_out
from services.catalog import get_catalog
from services.generation_queries import CursorError, GenerationFilter, page
from services.ingest import (
    CONTENT_FIELDS,
    IngestError,
    find_existing,
    find_existing_many,
    parse,
    prepare_generation,
    store_generations,
)
from services.key_usage import ModelNotAllowed, SpendLimitReached, check_key_may_spend
from services.models import Account, ApiKey
from services.notifications import check_low_balance_soon
from services.retention import was_pruned
from services.usage import get_generation

router = APIRouter(prefix='/api/v1', tags=['generations'], responses=ERROR_RESPONSES)
MAX_BATCH = 1000
EXAMPLE = {
    'model': 'openai/gpt-4o-mini',
    'provider': 'openai',
    'region': 'us-east-1',
    'prompt_tokens': 812,
    'completion_tokens': 240,
    'latency_ms': 1830,
    'external_id': 'req-42',
}
IdempotencyKey = Annotated[
    str | None, Header(alias='Idempotency-Key', max_length=200, description='a retry with the same key records once')
]


@router.post(
    '/generations',
    status_code=201,
    summary='Record a generation (scope: ingest)',
    responses={
        200: {'description': 'A retry: the record stored the first time'},
        402: {'description': 'Key spend limit used up'},
    },
)
def record(
    session: SessionDep,
    key: IngestKey,
    response: Response,
    body: Annotated[dict[str, Any], Body(examples=[EXAMPLE])],
    idempotency_key: IdempotencyKey = None,
) -> dict:
    account = account_of(session, key)
    existing = find_existing(session, account.id, idempotency_key, body.get('external_id'))
    if existing is not None:
        response.status_code = 200
        return generation_out(existing)
    row = _prepare(session, account, key, body, idempotency_key, where='')
    store_generations(session, [row])
    check_low_balance_soon(session, account)
    return generation_out(SimpleNamespace(**row))


@router.post(
    '/generations/batch',
    status_code=201,
    summary=f'Record up to {MAX_BATCH} generations, all or nothing (scope: ingest)',
    responses={402: {'description': 'Key spend limit used up'}},
)
def record_batch(
    session: SessionDep,
    key: IngestKey,
    response: Response,
    body: Annotated[dict[str, list[dict[str, Any]]], Body(examples=[{'generations': [EXAMPLE]}])],
    idempotency_key: IdempotencyKey = None,
) -> dict:
    items = body.get('generations')
    if not isinstance(items, list) or not items or len(items) > MAX_BATCH:
        raise APIError(422, 'invalid', f'generations: give a list of 1 to {MAX_BATCH} generations')
    account = account_of(session, key)
    external_ids = [i.get('external_id') for i in items if isinstance(i, dict) and i.get('external_id')]
    if len(external_ids) != len(set(external_ids)):
        raise APIError(422, 'invalid', 'generations: an external_id appears twice in this batch')
    item_keys = [f'{idempotency_key}:{index}' if idempotency_key else None for index in range(len(items))]
    wanted = [(k, i.get('external_id') if isinstance(i, dict) else None) for k, i in zip(item_keys, items, strict=True)]
    rows, stored = [], []
    for index, (item, item_key, existing) in enumerate(
        zip(items, item_keys, find_existing_many(session, account.id, wanted), strict=True)
    ):
        if existing is not None:
            stored.append(generation_out(existing))
            continue
        row = _prepare(session, account, key, item, item_key, where=f'generations.{index}.')
        rows.append(row)
        stored.append(generation_out(SimpleNamespace(**row)))  # the row as stored, without an ORM round trip
    created = store_generations(session, rows)
    if created:
        check_low_balance_soon(session, account)
    if created == 0:
        response.status_code = 200
    return {'items': stored, 'created': created}


def filters(
    model: str | None = None,
    provider: str | None = None,
    region: str | None = None,
    key_id: Annotated[int | None, Query(alias='key')] = None,
    since: Annotated[datetime | None, Query(alias='from', description='inclusive, ISO 8601 with a zone')] = None,
    until: Annotated[datetime | None, Query(alias='to', description='exclusive, ISO 8601 with a zone')] = None,
) -> GenerationFilter:
    """The query filters shared by the list and the CSV export."""
    for name, moment in (('from', since), ('to', until)):
        if moment is not None and moment.tzinfo is None:
            raise APIError(422, 'invalid', f'{name}: needs a time zone, e.g. 2026-11-01T00:00:00Z')
    return GenerationFilter(model, provider, region, key_id, since, until)


Filters = Annotated[GenerationFilter, Depends(filters)]


@router.get('/generations', summary='List generations, newest first, cursor-paged (scope: read)')
def list_generations(
    session: SessionDep,
    key: ReadKey,
    wanted: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict:
    account = account_of(session, key)
    try:
        rows, next_cursor = page(session, account.id, wanted, limit=limit, cursor=cursor)
    except CursorError as error:
        raise APIError(422, 'invalid', str(error)) from None
    return {'items': [generation_out(g) for g in rows], 'next_cursor': next_cursor}


@router.get(
    '/generations/{generation_id}',
    summary='One generation with its eco numbers and routing trace (scope: read)',
    responses={
        404: {'description': 'No such generation in this account'},
        410: {'description': "Deleted under the account's data-retention setting; it still counts in every total"},
    },
)
def read_generation(session: SessionDep, key: ReadKey, generation_id: str) -> dict:
    generation = get_generation(session, key.account_id, generation_id)
    if generation is None:
        account = account_of(session, key)
        if was_pruned(account, generation_id, session=session):
            raise APIError(410, 'pruned', _pruned_message(account, generation_id))
        raise APIError(404, 'not_found', f'no generation {generation_id!r} in this account')
    return generation_out(generation)


def _pruned_message(account: Account, generation_id: str) -> str:
    setting = (
        f'raw generations are kept {account.retention_days} days'
        if account.retention_days
        else 'the setting in force then; retention is off now'
    )
    ran = account.pruned_at.isoformat(timespec='seconds').replace('+00:00', 'Z')
    return (
        f"generation {generation_id!r} was deleted under this account's data-retention setting ({setting}) "
        f'when pruning ran at {ran}; its cost, tokens, energy and carbon still count in every total'
    )


def _prepare(
    session: Session, account: Account, key: ApiKey, item: Any, idempotency_key: str | None, *, where: str
) -> dict:
    if not isinstance(item, dict):
        raise APIError(422, 'invalid', f'{where or "body"}: a generation is a JSON object')
    content = sorted(CONTENT_FIELDS & set(item))
    if content:
        raise APIError(
            422, 'content_not_accepted', f'{where}{content[0]}: lowrouter does not accept prompt or response content'
        )
    unknown = sorted(set(item) - _ACCEPTED)
    if unknown:
        raise APIError(422, 'invalid', f'{where}{unknown[0]}: unknown field')
    try:
        payload = parse(item)
        check_key_may_spend(session, account, key, payload.model)
        return prepare_generation(get_catalog(), account, payload, api_key_id=key.id, idempotency_key=idempotency_key)
    except IngestError as error:
        raise APIError(422, 'invalid', f'{where}{error.field}: {error.message}') from None
    except ModelNotAllowed as error:
        raise APIError(403, 'model_not_allowed', str(error)) from None
    except SpendLimitReached as error:
        raise APIError(402, 'spend_limit_reached', str(error)) from None


_ACCEPTED = {
    'model', 'prompt_tokens', 'completion_tokens', 'provider', 'region', 'requested_model', 'created_at',
    'latency_ms', 'cost', 'external_id', 'status', 'routing_trace',
}  # fmt: skip
