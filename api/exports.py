"""GET /api/v1/generations.csv: a streamed export with the list's filters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Generator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from isal import isal_zlib as zlib  # zlib's interface and format; level 1 at three times zlib's speed
from starlette.concurrency import run_in_threadpool

from api.deps import ReadKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES
from api.generations import Filters
from api.responses.common import non_json
from services.usage.exports import generations_csv

router = APIRouter(prefix='/api/v1', tags=['generations'], responses=ERROR_RESPONSES)
GZIP_LEVEL = 1  # ~3x smaller at over 300 MB/s; zlib's usual level 9 would be the export's bottleneck


@router.get(
    '/generations.csv',
    summary='Export generations as CSV, streamed (scope: read)',
    response_class=StreamingResponse,
    responses={
        200: non_json(
            'text/csv',
            'A header line, then one line per generation, newest first; gzip-compressed when the request accepts gzip',
        )
    },
)
def export_csv(request: Request, session: ReadSessionDep, key: ReadKey, wanted: Filters) -> StreamingResponse:
    account = account_of(session, key)
    session.expunge(account)
    session.commit()  # end this request's transaction: the stream reads in its own session
    chunks = _made_ahead(generations_csv(account, wanted))
    headers = {'Content-Disposition': 'attachment; filename="generations.csv"', 'Vary': 'Accept-Encoding'}
    if 'gzip' in request.headers.get('accept-encoding', ''):
        headers['Content-Encoding'] = 'gzip'  # compressed here, so no middleware compresses it again
        chunks = _gzipped(chunks)
    return StreamingResponse(chunks, media_type='text/csv; charset=utf-8', headers=headers)


async def _made_ahead(chunks: Generator[str]) -> AsyncGenerator[str]:
    """The chunks, each made in a worker thread while the one before is compressed and sent."""
    making = asyncio.ensure_future(run_in_threadpool(next, chunks, None))
    try:
        while (chunk := await making) is not None:
            making = asyncio.ensure_future(run_in_threadpool(next, chunks, None))
            yield chunk
    finally:  # done, or the client has gone: let the chunk in the making finish, then end the export
        with anyio.CancelScope(shield=True):
            await asyncio.wait([making])
            await run_in_threadpool(chunks.close)


async def _gzipped(chunks: AsyncGenerator[str]) -> AsyncIterator[bytes]:
    """The chunks gzip-compressed, each in a worker thread (zlib lets the next chunk be made meanwhile)."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    try:
        async for chunk in chunks:
            yield await run_in_threadpool(_compress, compressor, chunk.encode())
        yield compressor.flush()
    finally:
        with anyio.CancelScope(shield=True):
            await chunks.aclose()


def _compress(compressor, data: bytes) -> bytes:
    """Compressed data, flushed so that a client reading slowly still gets every line made so far."""
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
