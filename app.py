"""lowrouter: the operator dashboard of an LLM router that cares about carbon.

python app.py [--host H] [--port P] [--db URL] [--no-demo]
python app.py create-key --name NAME --scopes read,ingest
python app.py hash-password        # for LOWROUTER_DASHBOARD_PASSWORD_HASH
python app.py prune                # delete generations older than each account's retention setting now
python app.py rebuild-rollups      # recompute the hourly rollups from the raw generations (repair)
"""

from __future__ import annotations

import os
import sys

from nicegui import app, ui

import pages  # noqa: F401  (registers every page)
from api import background, errors, fast_path, routers
from api.login import LoginGate
from services import auth, bootstrap, cli, db
from services.config import Settings, configure, settings_from_args

SIMULATION = os.environ.get('NICEGUI_USER_SIMULATION') == 'true'

API_DESCRIPTION = (
    'The HTTP face of the lowrouter dashboard. Authenticate with `Authorization: Bearer <secret>`; '
    'each endpoint names the scope it needs (inference, ingest, read, manage). Errors are JSON '
    '`{"error": {"code": ..., "message": ...}}`: 401 for a missing, unknown, expired or revoked key, 403 for '
    'a missing scope or model, 402 for a used-up spend limit, 404 for an unknown id, 410 for a generation deleted '
    'under the data-retention setting, 422 for invalid input. '
    'A rejected request writes nothing.'
)
app.docs_url, app.openapi_url = '/api/docs', '/api/openapi.json'
for router in routers.ALL:  # the routers carry their full paths; adding their routes directly (not include_router)
    app.router.routes.extend(router.routes)  # keeps FastAPI from nesting a lifespan per run of this file in tests
errors.install(app)
if not any(m.cls is LoginGate for m in app.user_middleware):
    app.add_middleware(LoginGate)  # inside NiceGUI's session middleware, which ui.run adds last (outermost)


def main(argv: list[str]) -> None:
    if argv[:1] == ['create-key']:
        sys.exit(cli.create_key_command(argv[1:], Settings()))
    if argv[:1] == ['hash-password']:
        sys.exit(cli.hash_password_command())
    if argv[:1] == ['prune']:
        sys.exit(cli.prune_command(argv[1:], Settings()))
    if argv[:1] == ['rebuild-rollups']:
        sys.exit(cli.rebuild_rollups_command(argv[1:], Settings()))
    settings = configure(Settings() if SIMULATION else settings_from_args(argv))
    if not settings.is_loopback and not auth.login_config().enabled:
        sys.exit(
            f'lowrouter: refusing to listen on {settings.host} without a dashboard password. Set '
            'LOWROUTER_DASHBOARD_PASSWORD, or LOWROUTER_DASHBOARD_PASSWORD_HASH from `python app.py hash-password`, '
            'or listen on loopback (127.0.0.1) only.'
        )
    bootstrap.start(settings)
    with db.session_scope() as session:
        storage_secret = auth.storage_secret(session)
    app.on_shutdown(bootstrap.stop)
    app.on_startup(lambda: fast_path.install(app))
    if not SIMULATION:  # e-mail and periodic notifications; user-simulation tests drive them directly
        app.on_startup(background.start)
    ui.run(
        host=settings.host,
        port=settings.port,
        title='lowrouter',
        favicon='🌿',
        reload=False,
        show=False,
        reconnect_timeout=10,
        storage_secret=storage_secret,
        fastapi_docs={'title': 'lowrouter API', 'version': '1', 'description': API_DESCRIPTION},
    )


if __name__ in {'__main__', '__mp_main__'}:
    main(sys.argv[1:])
