"""The size limit of /api request bodies (LOWROUTER_MAX_BODY_BYTES, 1 MB by default), and text no database stores.

Plain ASGI, in front of everything else on the API path: a body declared larger than the limit is
refused (413) before a byte of it is read, and a body without a declared size (chunked) as soon as
what arrived passes the limit. A URL or body carrying a NUL character or an unpaired surrogate is
refused (422). Nothing behind it runs for a refused request (no key is touched, no JSON is parsed);
an accepted body is handed on whole.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_body
from api.plain_text import unstorable_body, unstorable_url
from services.config import get_settings


class BodyLimit:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        if unstorable_url(scope):
            await _invalid('url: a NUL character (%00) cannot be stored')(scope, receive, send)
            return
        limit = get_settings().max_body_bytes
        declared = Headers(scope=scope).get('content-length', '')
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message['type'] != 'http.request':
                return  # the client has gone
            body += message.get('body', b'')
            if len(body) > limit:
                await _too_large(limit)(scope, receive, send)
                return
            if not message.get('more_body', False):
                break
        if unstorable_body(body):
            await _invalid('body: text with a NUL character or an unpaired surrogate cannot be stored')(
                scope, receive, send
            )
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then the client's own messages (a streamed answer waits for its disconnect)."""
    pending: list[Message] = [{'type': 'http.request', 'body': body, 'more_body': False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _invalid(message: str) -> JSONResponse:
    return JSONResponse(error_body('invalid', message), status_code=422)


def _too_large(limit: int) -> JSONResponse:
    message = f'body: larger than the limit of {limit} bytes'
    return JSONResponse(error_body('too_large', message), status_code=413, headers={'Connection': 'close'})
