"""Response headers every answer carries, and the Host check that keeps DNS-rebinding pages out.

Two plain ASGI layers (see api/login.py for why not BaseHTTPMiddleware):

- `HostAndHeaders`, in front of everything (API fast path included): answers 400 to a Host header that is
  not one of the configured names (a DNS-rebinding page reaches a loopback install under its own name),
  refuses websockets opened from another site, and adds nosniff, Referrer-Policy and frame refusal to
  every answer, with a strict Content-Security-Policy on answers that did not set their own.
- `PageSecurityPolicy`, inside NiceGUI's middleware (so it sees page HTML before gzip): gives each HTML
  page a Content-Security-Policy with a fresh nonce, and stamps that nonce on the page's own <script> tags.

Why the page policy still allows 'unsafe-eval': NiceGUI's browser code evaluates props whose name starts
with ':' (`new Function`), event handlers given as JavaScript and `ui.run_javascript` (`eval`), and Vue
compiles slot templates at run time. So the policy cannot stop a value that reaches a ':' prop; that is
why every dynamic value goes into props as data (components/safe.py). The policy stops every other way in:
inline scripts and event-handler attributes without the nonce, scripts from other origins, plugins,
<base> and form targets elsewhere, and framing. Styles allow 'unsafe-inline': Quasar, plotly and Tailwind
add <style> elements and style attributes at run time, and a style cannot run script.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import fast_path
from services.config import get_settings

PAGE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
COMMON_HEADERS = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    'x-frame-options': 'DENY',
}
SCRIPT_TAG = re.compile(rb'<script(?=[\s>])')


class HostAndHeaders:
    def __init__(self, app: ASGIApp, host_names: frozenset[str] | None = None) -> None:
        self.app = app
        self.host_names = host_names if host_names is not None else get_settings().host_names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] not in ('http', 'websocket'):
            await self.app(scope, receive, send)
            return
        headers = {k.decode('latin-1').lower(): v.decode('latin-1') for k, v in scope.get('headers', [])}
        if _host_name(headers.get('host', '')) not in self.host_names:
            await _refuse(scope, receive, send, 'Unknown host name: add it to LOWROUTER_ALLOWED_HOSTS to serve it.')
            return
        origin = headers.get('origin')
        if scope['type'] == 'websocket' and origin and _host_name(urlsplit(origin).netloc) not in self.host_names:
            await _refuse(scope, receive, send, 'Cross-site websocket refused.')
            return
        if scope['type'] == 'websocket':
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                response_headers = MutableHeaders(scope=message)
                for name, value in COMMON_HEADERS.items():
                    response_headers.setdefault(name, value)
                response_headers.setdefault('content-security-policy', OTHER_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PageSecurityPolicy:
    """A nonce-based Content-Security-Policy for HTML answers; other answers pass untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        policy = PAGE_POLICY.format(nonce=nonce)
        start: Message | None = None
        body: list[bytes] = []

        async def send_with_policy(message: Message) -> None:
            nonlocal start
            if message['type'] == 'http.response.start':
                headers = MutableHeaders(scope=message)
                if not headers.get('content-type', '').startswith('text/html') or 'content-encoding' in headers:
                    await send(message)  # not a page: nothing to stamp
                    return
                start = message
                return
            if start is None or message['type'] != 'http.response.body':
                await send(message)
                return
            body.append(message.get('body', b''))
            if message.get('more_body', False):
                return
            page = SCRIPT_TAG.sub(b'<script nonce="' + nonce.encode() + b'"', b''.join(body))
            headers = MutableHeaders(scope=start)
            headers['content-length'] = str(len(page))
            headers['content-security-policy'] = policy
            await send(start)
            await send({'type': 'http.response.body', 'body': page})

        await self.app(scope, receive, send_with_policy)


def install(app) -> None:
    """Put the API fast path, then HostAndHeaders in front of the whole stack, once (call from a startup
    handler: by then Starlette has built the stack). API answers go through HostAndHeaders too."""
    if isinstance(app.middleware_stack, HostAndHeaders):
        return
    fast_path.install(app)
    app.middleware_stack = HostAndHeaders(app.middleware_stack)


def _host_name(host: str) -> str:
    """'Example.com:8080' -> 'example.com', '[::1]:8080' -> '::1'."""
    host = host.strip().lower()
    if host.startswith('['):
        return host[1 : host.find(']')] if ']' in host else host
    return host.rsplit(':', 1)[0] if host.count(':') == 1 else host


async def _refuse(scope: Scope, receive: Receive, send: Send, message: str) -> None:
    if scope['type'] == 'websocket':
        await send({'type': 'websocket.close', 'code': 1008})
        return
    headers = {**COMMON_HEADERS, 'content-security-policy': OTHER_POLICY}
    if scope['path'].startswith('/api/'):
        response = JSONResponse({'error': {'code': 'invalid_host', 'message': message}}, 400, headers=headers)
    else:
        response = PlainTextResponse(message, status_code=400, headers=headers)
    await response(scope, receive, send)
