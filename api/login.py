"""The dashboard's login gate: every page asks for the password when one is configured.

The HTTP API keeps using API keys and is not behind this gate.
"""

from __future__ import annotations

import time
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.auth import SESSION_HOURS, SESSION_KEY, check_password, login_config

router = APIRouter(include_in_schema=False)
PUBLIC_PREFIXES = ('/login', '/logout', '/api/', '/_nicegui', '/favicon')


class LoginGate:
    """Plain ASGI middleware (not BaseHTTPMiddleware, whose per-request task group and body wrapping
    cost more than the API endpoints behind it): pages redirect to /login unless signed in."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get('path', '')
        if (
            scope['type'] != 'http'
            or path.startswith(PUBLIC_PREFIXES)
            or not login_config().enabled
            or is_signed_in(Request(scope))
        ):
            await self.app(scope, receive, send)
            return
        await RedirectResponse(f'/login?next={quote(path)}', status_code=303)(scope, receive, send)


def is_signed_in(request: Request) -> bool:
    return float(request.session.get(SESSION_KEY, 0)) > time.time()


@router.post('/login')
def sign_in(request: Request, password: Annotated[str, Form()] = '', next: Annotated[str, Form()] = '/dashboard'):
    target = next if next.startswith('/') and not next.startswith('//') else '/dashboard'
    client = request.client.host if request.client else 'unknown'
    accepted, message = check_password(client, password)
    if not accepted:
        return RedirectResponse(f'/login?next={quote(target)}&error={quote(message or "")}', status_code=303)
    request.session[SESSION_KEY] = time.time() + SESSION_HOURS * 3600
    return RedirectResponse(target, status_code=303)


@router.get('/logout')
def sign_out(request: Request):
    request.session.pop(SESSION_KEY, None)
    return RedirectResponse('/login', status_code=303)
