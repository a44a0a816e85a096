"""lowrouter: the operator dashboard of an LLM router that cares about carbon.

python app.py [--host H] [--port P] [--db URL] [--no-demo]
"""

from __future__ import annotations

import os
import sys

from nicegui import app, ui

import pages  # noqa: F401  (registers every page)
from api import errors, routers
from services import bootstrap, cli
from services.config import Settings, configure, settings_from_args

SIMULATION = os.environ.get('NICEGUI_USER_SIMULATION') == 'true'

API_DESCRIPTION = (
    'The HTTP face of the lowrouter dashboard. Authenticate with `Authorization: Bearer <secret>`; '
    'each endpoint names the scope it needs (inference, ingest, read, manage). Errors are JSON '
    '`{"error": {"code": ..., "message": ...}}`: 401 for a missing, unknown, expired or revoked key, 403 for '
    'a missing scope or model, 402 for a used-up spend limit, 404 for an unknown id, 422 for invalid input. '
    'A rejected request writes nothing.'
)
app.docs_url, app.openapi_url = '/api/docs', '/api/openapi.json'
for router in routers.ALL:
    app.include_router(router)
errors.install(app)


def main(argv: list[str]) -> None:
    if argv[:1] == ['create-key']:
        sys.exit(cli.create_key_command(argv[1:], Settings()))
    settings = configure(Settings() if SIMULATION else settings_from_args(argv))
    if not settings.is_loopback:
        sys.exit(
            f'lowrouter: refusing to listen on {settings.host}: the dashboard has no login yet, so it only '
            'listens on loopback (127.0.0.1, ::1 or localhost). Put it behind an authenticating proxy instead.'
        )
    bootstrap.start(settings)
    app.on_shutdown(bootstrap.stop)
    ui.run(
        host=settings.host,
        port=settings.port,
        title='lowrouter',
        favicon='🌿',
        reload=False,
        show=False,
        reconnect_timeout=10,
        fastapi_docs={'title': 'lowrouter API', 'version': '1', 'description': API_DESCRIPTION},
    )


if __name__ in {'__main__', '__mp_main__'}:
    main(sys.argv[1:])
