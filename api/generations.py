"""Generations over HTTP: list them (cursor-paged) and read one; recording them is in api/ingest.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from api.deps import ReadKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.records import GenerationOut, GenerationPage
from api.schemas import KeyFilter, Moment, StatusFilter, generation_out
from services.routing.recorder import wait_stored
from services.usage.generations import GenerationFilter, page
from services.usage.lookup import pruned_message
from services.usage.retention import was_pruned
from services.usage.totals import get_generation

router = APIRouter(prefix='/api/v1', tags=['generations'], responses=ERROR_RESPONSES)


def filters(
    model: str | None = None,
    provider: str | None = None,
    region: str | None = None,
    key_id: KeyFilter = None,
    status: StatusFilter = None,
    since: Annotated[Moment | None, Query(alias='from', description='inclusive, ISO 8601 with a zone')] = None,
    until: Annotated[Moment | None, Query(alias='to', description='exclusive, ISO 8601 with a zone')] = None,
) -> GenerationFilter:
    """The query filters shared by the list and the CSV export."""
    return GenerationFilter(model, provider, region, key_id, status=status, since=since, until=until)


Filters = Annotated[GenerationFilter, Depends(filters)]


@router.get(
    '/generations', response_model=GenerationPage, summary='List generations, newest first, cursor-paged (scope: read)'
)
def list_generations(
    session: ReadSessionDep,
    key: ReadKey,
    wanted: Filters,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict:
    account = account_of(session, key)
    rows, next_cursor = page(session, account.id, wanted, limit=limit, cursor=cursor)
    return {'items': [generation_out(g) for g in rows], 'next_cursor': next_cursor}


@router.get(
    '/generations/{generation_id}',
    response_model=GenerationOut,
    summary='One generation with its eco numbers and routing trace (scope: read)',
    responses={
        **documented(404, 'No such generation in this account', 'not_found', "no generation 'gen_…' in this account"),
        **documented(
            410,
            "Deleted under the account's data-retention setting; it still counts in every total",
            'pruned',
            "generation 'gen_…' was deleted under this account's data-retention setting …",
        ),
    },
)
def read_generation(session: ReadSessionDep, key: ReadKey, generation_id: Annotated[str, Path(max_length=100)]) -> dict:
    wait_stored(generation_id)  # one the router answered a moment ago is found (services/routing/recorder.py)
    generation = get_generation(session, key.account_id, generation_id)
    if generation is None:
        account = account_of(session, key)
        if was_pruned(account, generation_id, session=session):
            raise APIError(410, 'pruned', pruned_message(account, generation_id))
        raise APIError(404, 'not_found', f'no generation {generation_id!r} in this account')
    return generation_out(generation)
