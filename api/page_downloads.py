"""Downloads of the dashboard's pages, for the signed-in browser (not the HTTP API, which takes API keys).

- GET /logs/export.csv?<the /logs query>: exactly the generations the log shows, as the API's CSV export
  (GET /api/v1/generations.csv) writes them, streamed as they are read.
- GET /settings/export.zip: the account's full export, streamed as it is written (Settings → Delete account).

Both answer only a browser with a valid dashboard session when a password is configured, as pages do: the login
gate (api/login.py) sends any other request to /login, and each route checks the session again itself.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.errors import error_body
from api.login import is_signed_in
from services import db
from services.account.accounts import current_account
from services.account.auth import login_config
from services.account.export import ExportError, stream_export
from services.models import Account
from services.usage.exports import generations_csv
from services.usage.logs import LogQuery
from services.usage.ranges import RangeError, resolve_range

router = APIRouter(include_in_schema=False)
MAX_TEXT = 120
Text = Annotated[str | None, Query(max_length=MAX_TEXT)]


@router.get('/logs/export.csv')
async def logs_csv(
    request: Request,
    range: Annotated[str | None, Query(max_length=40)] = None,  # noqa: A002 (the page's parameter name)
    start: Annotated[str | None, Query(alias='from', max_length=40)] = None,
    end: Annotated[str | None, Query(alias='to', max_length=40)] = None,
    model: Text = None,
    provider: Text = None,
    region: Text = None,
    key: Annotated[int | None, Query(ge=0, lt=10**11)] = None,
    status: Literal['completed', 'failed', 'cancelled'] | None = None,
):
    account = await _signed_in_account(request)
    if isinstance(account, JSONResponse):
        return account
    try:
        period = resolve_range(account.timezone, range, start, end)
    except RangeError as error:
        return JSONResponse(error_body('invalid', str(error)), status_code=422)
    query = LogQuery(period, model=model, provider=provider, region=region, key_id=key, status=status)
    name = f'generations-{period.first.isoformat()}-to-{period.last.isoformat()}.csv'
    headers = {'Content-Disposition': f'attachment; filename="{name}"', 'Cache-Control': 'no-store'}
    return StreamingResponse(
        generations_csv(account, query.generation_filter()), media_type='text/csv; charset=utf-8', headers=headers
    )


@router.get('/settings/export.zip')
async def account_zip(request: Request):
    account = await _signed_in_account(request)
    if isinstance(account, JSONResponse):
        return account
    try:
        export = await run_in_threadpool(stream_export, account.id)
    except ExportError as error:  # deleted meanwhile
        return JSONResponse(error_body('not_found', str(error)), status_code=404)
    headers = {'Content-Disposition': f'attachment; filename="{export.file_name}"', 'Cache-Control': 'no-store'}
    return StreamingResponse(export.chunks, media_type='application/zip', headers=headers)


async def _signed_in_account(request: Request) -> Account | JSONResponse:
    """The account, for a browser holding a valid dashboard session (when a password is configured); else the
    answer to send: 401 without a session, 404 before there is an account."""
    if login_config().enabled and not await run_in_threadpool(is_signed_in, request):
        return JSONResponse(error_body('unauthorized', 'sign in to the dashboard first'), status_code=401)
    account = await run_in_threadpool(_account)
    if account is None:
        return JSONResponse(error_body('not_found', 'there is no account yet'), status_code=404)
    return account


def _account() -> Account | None:
    with db.read_scope() as session:
        account = current_account(session)
        if account is not None:
            session.expunge(account)
        return account
