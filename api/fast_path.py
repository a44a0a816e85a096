"""Requests to /api/ skip the page middleware.

NiceGUI wraps every request in middleware its pages need: a browser session and a per-session user
storage (created for every request that has no session cookie, i.e. for every API call), gzip, and
three BaseHTTPMiddleware layers. For an API request that is more work than the endpoint itself and
grows memory with each call. The API authenticates with keys and needs none of it, so its requests go
straight to the routes, still through FastAPI's own error handling (APIError, validation, 500), behind
the body-size limit.
"""

from __future__ import annotations

import time

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.body_limit import BodyLimit
from api.errors import API_PREFIX

OVERHEAD = b'x-lowrouter-overhead-ms'


class ApiFastPath:
    def __init__(self, pages: ASGIApp, api: ASGIApp):
        self.pages = pages
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] == 'http' and (scope['path'] + '/').startswith(API_PREFIX):
            received = scope.setdefault('state', {})['received'] = time.perf_counter()

            async def timed(message: Message) -> None:
                """Every API answer says how long lowrouter took (the router's own say it without the upstream)."""
                if message['type'] == 'http.response.start':
                    headers = list(message.get('headers', ()))
                    if not any(name.lower() == OVERHEAD for name, _ in headers):
                        headers.append((OVERHEAD, f'{(time.perf_counter() - received) * 1000:.2f}'.encode()))
                        message = {**message, 'headers': headers}
                await send(message)

            await self.api(scope, receive, timed)
        else:
            await self.pages(scope, receive, send)


class Answered:
    """Starlette answers an unexpected exception through the installed handler (JSON with an error id,
    logged there) and then raises it again for the server to log: here it ends, already answered and
    logged once."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message['type'] == 'http.response.start'
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:
                raise


def install(app: FastAPI) -> None:
    """Put the fast path in front of the app's middleware stack (call from a startup handler: by then
    Starlette has built the stack, with every middleware NiceGUI adds)."""
    if app.middleware_stack is None:
        app.middleware_stack = app.build_middleware_stack()
    if isinstance(app.middleware_stack, ApiFastPath):
        return
    app.middleware_stack = ApiFastPath(app.middleware_stack, BodyLimit(Answered(_without_user_middleware(app))))


def _without_user_middleware(app: FastAPI) -> ASGIApp:
    """FastAPI's own stack (server errors, exception handlers, dependency exit stacks) around the routes."""
    saved = app.user_middleware
    app.user_middleware = []
    try:
        return app.build_middleware_stack()
    finally:
        app.user_middleware = saved
