"""Every API error is JSON: {"error": {"code": ..., "message": ...}} with a fitting status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class APIError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_body(code: str, message: str) -> dict:
    return {'error': {'code': code, 'message': message}}


def _documented(description: str, code: str, message: str) -> dict:
    return {'description': description, 'content': {'application/json': {'example': error_body(code, message)}}}


ERROR_RESPONSES = {
    401: _documented('Missing, unknown, expired or revoked API key', 'unauthorized', 'a valid API key is required'),
    403: _documented('The key lacks the scope this endpoint needs', 'forbidden', 'this key lacks the read scope'),
    422: _documented('Invalid input; nothing was written', 'invalid', 'days: must be between 1 and 365'),
}


def install(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(_request: Request, error: APIError) -> JSONResponse:
        return JSONResponse(error_body(error.code, error.message), status_code=error.status, headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = '.'.join(str(p) for p in first['loc'] if p not in ('body', 'query', 'path'))
        return JSONResponse(error_body('invalid', f'{where}: {first["msg"]}'), status_code=422)
