"""Every /api error answer is JSON {"error": {"code": ..., "message": ...}} with a fitting status.

A refusal of a service (a DomainError, services/errors.py) is answered here, in one place, with the status and
code of its kind and str(error) as the message; endpoints let it through instead of translating it.

Server errors add an "id" that is also in the log line with the traceback; their answer never carries
exception text. Pages (outside /api) keep NiceGUI's own error pages.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from services.errors import DomainError

log = logging.getLogger('lowrouter')
API_PREFIX = '/api/'
CODES = {
    400: 'invalid',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    405: 'method_not_allowed',
    409: 'conflict',
    410: 'gone',
    413: 'too_large',
    415: 'unsupported_media_type',
    422: 'invalid',
}
NOT_STORED = 'the database could not complete this request, so nothing was saved; try again in a moment'
INTERNAL = 'something went wrong on our side; nothing was saved. Quote this id when you report it'


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra='allow')

    code: str
    message: str
    id: str | None = None


class ErrorOut(BaseModel):
    """The shape of every error answer."""

    error: ErrorDetail


def error_body(code: str, message: str, error_id: str | None = None) -> dict:
    detail = {'code': code, 'message': message} | ({'id': error_id} if error_id else {})
    return {'error': detail}


def _documented(description: str, code: str, message: str) -> dict:
    example = error_body(code, message)
    return {'description': description, 'model': ErrorOut, 'content': {'application/json': {'example': example}}}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _documented('Missing, unknown, expired or revoked API key', 'unauthorized', 'a valid API key is required'),
    403: _documented('The key lacks the scope this endpoint needs', 'forbidden', 'this key lacks the read scope'),
    413: _documented('The request body is over the size limit', 'too_large', 'body: larger than 1048576 bytes'),
    422: _documented('Invalid input; nothing was written', 'invalid', 'days: must be between 1 and 365'),
    500: _documented('A fault on the server; the id is in its log', 'internal', INTERNAL),
    503: _documented('The database failed; nothing was saved', 'not_stored', NOT_STORED),
}


def documented(status: int, description: str, code: str, message: str) -> dict[int, dict[str, Any]]:
    """One more documented error answer for a route's `responses`."""
    return {status: _documented(description, code, message)}


def install(app: FastAPI) -> None:
    """Answer errors on /api paths in the shape; leave every other path to the handlers already there."""
    fallback_404 = _original(app.exception_handlers.get(404))
    fallback_500 = _original(app.exception_handlers.get(Exception))
    fallback_http = _original(app.exception_handlers.get(StarletteHTTPException)) or http_exception_handler

    async def api_error(_request: Request, error: APIError) -> Response:
        return JSONResponse(error_body(error.code, error.message), status_code=error.status, headers=error.headers)

    async def refused(request: Request, error: DomainError) -> Response:
        if not is_api(request):
            raise error  # a page keeps the server error it had before
        return JSONResponse(error_body(error.code, str(error)), status_code=error.status)

    async def invalid(_request: Request, error: RequestValidationError) -> Response:
        return JSONResponse(error_body('invalid', validation_message(error.errors())), status_code=422)

    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if not is_api(request):
            return await fallback_http(request, error)
        if error.status_code == 400:  # FastAPI could not parse the body (e.g. JSON nested too deep to decode)
            return JSONResponse(error_body('invalid', 'body: could not be read as JSON'), status_code=422)
        return JSONResponse(
            error_body(CODES.get(error.status_code, 'error'), _http_message(error)),
            status_code=error.status_code,
            headers=getattr(error, 'headers', None),
        )

    async def not_found(request: Request, error: Exception) -> Response:
        if is_api(request) or fallback_404 is None:
            return await http_error(request, StarletteHTTPException(404, f'no such path: {request.url.path}'))
        return await fallback_404(request, error)

    async def not_stored(request: Request, error: DBAPIError) -> Response:
        if not is_api(request):
            raise error
        error_id = _logged(request, error, 'database failure')
        return JSONResponse(error_body('not_stored', NOT_STORED, error_id), status_code=503)

    async def internal(request: Request, error: Exception) -> Response:
        if not is_api(request) and fallback_500 is not None:
            return await fallback_500(request, error)
        error_id = _logged(request, error, 'internal error')
        return JSONResponse(error_body('internal', INTERNAL, error_id), status_code=500)

    for handler, fallback in ((not_found, fallback_404), (internal, fallback_500), (http_error, fallback_http)):
        handler.fallback = fallback  # type: ignore[attr-defined]  (so a second install finds NiceGUI's)
    app.add_exception_handler(APIError, api_error)
    app.add_exception_handler(DomainError, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(404, not_found)
    app.add_exception_handler(DBAPIError, not_stored)
    app.add_exception_handler(Exception, internal)


def is_api(request: Request) -> bool:
    return (request.url.path + '/').startswith(API_PREFIX)


def validation_message(errors: list[dict[str, Any]] | tuple[dict[str, Any], ...]) -> str:
    """The first problem, field first: `amount: ...`, `generations.3.model: ...`, `body: not valid JSON ...`."""
    first = errors[0]
    where = '.'.join(str(p) for p in first.get('loc', ()) if p not in ('body', 'query', 'path', 'header'))
    message = str(first.get('msg', 'invalid')).removeprefix('Value error, ')
    if first.get('type') == 'json_invalid':
        return f'body: not valid JSON ({first.get("ctx", {}).get("error", "could not be parsed")})'
    if first.get('type') == 'missing':
        message = 'required'
    if first.get('type') == 'extra_forbidden':
        message = 'unknown field'
    if not where and ': ' in message:  # a rule across fields names its field first
        return message
    return f'{where or "body"}: {message}'


def _http_message(error: StarletteHTTPException) -> str:
    if error.status_code == 405:
        return 'this method is not allowed here; see /api/docs'
    return str(error.detail)


def _logged(request: Request, error: BaseException, what: str) -> str:
    error_id = secrets.token_hex(6)
    log.error('%s %s on %s %s', what, error_id, request.method, request.url.path, exc_info=error)
    return error_id


def _original(handler):
    while getattr(handler, 'fallback', None) is not None:
        handler = handler.fallback
    return handler
