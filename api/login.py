"""The dashboard's login gate: every page asks for the password when one is configured.

The HTTP API keeps using API keys and is not behind this gate. A session ends for good on sign-out (see
services/account/auth.py): pages then redirect to /login, and an open tab's events are refused (api/page_guard.py).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from services.account.auth import (
    DEVICE_KEY,
    SESSION_KEY,
    TOKEN_KEY,
    check_password,
    end_every_session,
    local_path,
    login_config,
    start_session,
)
from services.account.auth import session_is_valid as _session_is_valid
from services.account.login_throttle import client_address
from services.config import get_settings

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
            or await run_in_threadpool(is_signed_in, Request(scope))  # may read the session epoch
        ):
            await self.app(scope, receive, send)
            return
        await RedirectResponse(f'/login?next={quote(path)}', status_code=303)(scope, receive, send)


def is_signed_in(request: Request) -> bool:
    return _session_is_valid(request.session)


@router.post('/login')
def sign_in(request: Request, password: Annotated[str, Form()] = '', next: Annotated[str, Form()] = '/dashboard'):
    target = local_path(next)
    settings = get_settings()
    peer = request.client.host if request.client else 'unknown'
    client = client_address(peer, request.headers.get('x-forwarded-for'), settings.proxy_networks)
    accepted, message = check_password(client, password, known_device=request.session.get(DEVICE_KEY) is True)
    if not accepted:
        return RedirectResponse(f'/login?{urlencode({"next": target, "error": message or ""})}', status_code=303)
    start_session(request.session)
    return RedirectResponse(target, status_code=303)


@router.get('/logout')
def sign_out_link() -> RedirectResponse:
    """A link cannot sign anyone out (another site could plant one): signing out is a form post."""
    return RedirectResponse('/dashboard', status_code=303)


@router.post('/logout')
async def sign_out(request: Request):
    """Ends every dashboard session (there is one dashboard user), on every process, not only this cookie.
    Only a signed-in browser can: a form on another site posts without the (SameSite) cookie."""
    if login_config().enabled and is_signed_in(request):
        await run_in_threadpool(end_every_session)  # open tabs go to /login within seconds (api/page_guard.py)
    request.session.pop(SESSION_KEY, None)
    request.session.pop(TOKEN_KEY, None)
    return RedirectResponse('/login', status_code=303)
