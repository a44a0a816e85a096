"""GET /api/v1/generations.csv: a streamed export with the list's filters."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from api.deps import ReadKey, SessionDep, account_of
from api.errors import ERROR_RESPONSES
from api.generations import Filters
from services.exports import generations_csv

router = APIRouter(prefix='/api/v1', tags=['generations'], responses=ERROR_RESPONSES)


@router.get(
    '/generations.csv',
    summary='Export generations as CSV, streamed (scope: read)',
    response_class=StreamingResponse,
    responses={200: {'content': {'text/csv': {}}}},
)
def export_csv(session: SessionDep, key: ReadKey, wanted: Filters) -> StreamingResponse:
    account = account_of(session, key)
    session.expunge(account)
    session.commit()  # end this request's transaction: the stream reads in its own session
    rows = generations_csv(account, wanted)
    return StreamingResponse(
        rows,
        media_type='text/csv; charset=utf-8',
        headers={'Content-Disposition': 'attachment; filename="generations.csv"'},
    )
