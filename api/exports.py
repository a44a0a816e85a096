"""GET /api/v1/generations.csv: a streamed export with the list's filters."""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import AsyncIterator, Iterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from api.deps import ReadKey, SessionDep, account_of
from api.errors import ERROR_RESPONSES
from api.generations import Filters
from services.exports import generations_csv

router = APIRouter(prefix='/api/v1', tags=['generations'], responses=ERROR_RESPONSES)
GZIP_LEVEL = 1  # ~4x smaller at well over 100 MB/s; the app-wide middleware's level 9 would be the bottleneck


@router.get(
    '/generations.csv',
    summary='Export generations as CSV, streamed (scope: read)',
    response_class=StreamingResponse,
    responses={200: {'content': {'text/csv': {}}}},
)
def export_csv(request: Request, session: SessionDep, key: ReadKey, wanted: Filters) -> StreamingResponse:
    account = account_of(session, key)
    session.expunge(account)
    session.commit()  # end this request's transaction: the stream reads in its own session
    chunks = generations_csv(account, wanted)
    headers = {'Content-Disposition': 'attachment; filename="generations.csv"', 'Vary': 'Accept-Encoding'}
    if 'gzip' in request.headers.get('accept-encoding', ''):
        headers['Content-Encoding'] = 'gzip'  # compressed here, so the middleware leaves the stream alone
        return StreamingResponse(_gzipped(chunks), media_type='text/csv; charset=utf-8', headers=headers)
    return StreamingResponse(chunks, media_type='text/csv; charset=utf-8', headers=headers)


async def _gzipped(chunks: Iterator[str]) -> AsyncIterator[bytes]:
    """The chunks gzip-compressed, each compressed in a worker thread while the next one is being made."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    compressing: asyncio.Future[bytes] | None = None
    async for chunk in iterate_in_threadpool(chunks):
        data = chunk.encode()
        if compressing is not None:
            yield await compressing
        compressing = asyncio.ensure_future(run_in_threadpool(_compress, compressor, data))
    if compressing is not None:
        yield await compressing
    yield compressor.flush()


def _compress(compressor, data: bytes) -> bytes:
    """Compressed data, flushed so that a client reading slowly still gets every line made so far."""
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
