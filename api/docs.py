"""The API's own documentation: the OpenAPI document at /api/openapi.json and Swagger UI at /api/docs.

Swagger UI's files come from the swagger-ui-bundle-v2 package and are served by the app itself, so the
documentation works on a machine without internet (FastAPI's default page loads them from a CDN). The page
carries its own Content-Security-Policy: its one inline script has a fresh nonce, and nothing loads from
elsewhere.
"""

from __future__ import annotations

import re
import secrets

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

OPENAPI_URL = '/api/openapi.json'
ASSETS = '/api/docs/assets'
TITLE = 'lowrouter API'
DESCRIPTION = (
    'The HTTP face of the lowrouter dashboard. Authenticate with `Authorization: Bearer <secret>`; '
    'each endpoint names the scope it needs (inference, ingest, read, manage). Every error is JSON '
    '`{"error": {"code": ..., "message": ...}}`: 401 for a missing, unknown, expired or revoked key, 403 for '
    'a missing scope or model, 402 for a used-up spend limit, 404 for an unknown id or path, 409 for a reused '
    'idempotency key, 410 for a generation deleted under the data-retention setting, 413 for a body over the '
    'size limit, 422 for invalid input, 500 and 503 (with an error id that is also in the log) for faults. '
    'A rejected request writes nothing, and every write is stored before it is answered.'
)
POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
router = APIRouter(include_in_schema=False)


@router.get('/api/docs')
def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_URL,
        title=TITLE,
        swagger_js_url=f'{ASSETS}/swagger-ui-bundle.js',
        swagger_css_url=f'{ASSETS}/swagger-ui.css',
        swagger_favicon_url=f'{ASSETS}/favicon-32x32.png',
    )
    nonce = secrets.token_urlsafe(18)
    html = re.sub(r'<script>', f'<script nonce="{nonce}">', page.body.decode())
    return HTMLResponse(html, headers={'Content-Security-Policy': POLICY.format(nonce=nonce)})


def install(app: FastAPI) -> None:
    """Describe the API in its OpenAPI document and serve Swagger UI's files (once per app)."""
    app.title, app.version, app.description = TITLE, '1', DESCRIPTION
    app.docs_url = app.redoc_url = None  # ours above, without a CDN
    app.openapi_url = OPENAPI_URL
    paths = {getattr(route, 'path', None) for route in app.routes}
    if OPENAPI_URL not in paths:
        app.setup()  # adds the OpenAPI route
    if ASSETS not in paths:
        app.mount(ASSETS, StaticFiles(directory=swagger_ui_path), name='api-docs-assets')
