"""lowrouter: the operator dashboard of an LLM router that cares about carbon.

python app.py [--host H] [--port P] [--db URL] [--no-demo]
python app.py --help               # every option, and every command (cli/) with one line each
"""

from __future__ import annotations

import os
import sys

from nicegui import app, ui
from sqlalchemy.exc import DBAPIError

import cli
import pages  # noqa: F401  (registers every page)
from api import docs, errors, page_guard, routers, security
from api.login import LoginGate
from components import live
from services import db, db_check
from services.account import auth, bootstrap
from services.config import Settings, configure
from services.live import pg_channel
from services.routing import gateway, recorder
from services.routing.upstreams import UpstreamConfigError, load_upstreams
from workers import background

SIMULATION = os.environ.get('NICEGUI_USER_SIMULATION') == 'true'

docs.install(app)
for router in routers.ALL:  # the routers carry their full paths; adding their routes directly (not include_router)
    app.router.routes.extend(router.routes)  # keeps FastAPI from nesting a lifespan per run of this file in tests
errors.install(app)
if not any(m.cls is LoginGate for m in app.user_middleware):
    app.add_middleware(LoginGate)  # inside NiceGUI's session middleware, which ui.run adds last (outermost)
if not any(m.cls is security.PageSecurityPolicy for m in app.user_middleware):
    app.add_middleware(security.PageSecurityPolicy)  # inside gzip (added by ui.run): sees the page's HTML
page_guard.install()


def main(argv: list[str]) -> None:
    if cli.is_command(argv):
        sys.exit(cli.run_command(argv))
    settings = configure(Settings() if SIMULATION else cli.server_settings(argv))
    auth.login_config.cache_clear()  # the environment of this start (each user-simulation test starts anew)
    if problem := auth.password_problem() or _settings_problem(settings) or db_check.url_problem(settings.database_url):
        print(f'lowrouter: {problem}', file=sys.stderr)
        sys.exit(2)
    if not settings.is_loopback and not auth.login_config().enabled:
        sys.exit(
            f'lowrouter: refusing to listen on {settings.host} without a dashboard password. Set '
            'LOWROUTER_DASHBOARD_PASSWORD, or LOWROUTER_DASHBOARD_PASSWORD_HASH from `python app.py hash-password`, '
            'or listen on loopback (127.0.0.1) only.'
        )
    try:
        bootstrap.start(settings)
        with db.session_scope() as session:
            storage_secret = auth.storage_secret(session)
    except (DBAPIError, OSError) as error:  # an unreachable server, an unreadable file, a read-only directory
        print(f'lowrouter: {db_check.open_problem(settings.database_url, error)}', file=sys.stderr)
        sys.exit(2)
    try:
        load_upstreams()  # a broken upstreams.toml is said once, at start, not at every request
    except UpstreamConfigError as error:
        print(f'lowrouter: {error}', file=sys.stderr)
        sys.exit(2)
    try:
        recorder.start()  # stores what a process that died left in its router journal, then opens this one's
    except OSError as error:
        print(f'lowrouter: cannot write the router journal ({error}); set LOWROUTER_JOURNAL_DIR', file=sys.stderr)
        sys.exit(2)
    app.on_startup(live.hub.start)  # open pages refresh after committed changes (services/live)
    app.on_startup(lambda: pg_channel.start(settings.database_url))  # PostgreSQL: changes of other processes too
    app.on_shutdown(pg_channel.stop)
    app.on_startup(gateway.start)  # one pooled client per upstream, closed at shutdown
    app.on_shutdown(gateway.close)
    app.on_shutdown(recorder.stop)
    app.on_shutdown(bootstrap.stop)
    auth.forget_epoch()  # read from this start's database
    app.on_startup(lambda: security.install(app))  # the API fast path, and host and header checks around all
    if not SIMULATION:  # e-mail and periodic notifications; user-simulation tests drive them directly
        app.on_startup(background.start)
        app.on_startup(page_guard.start_sweeping)
    ui.run(
        host=settings.host,
        port=settings.port,
        title='lowrouter',
        favicon='🌿',
        reload=False,
        show=False,
        reconnect_timeout=10,
        storage_secret=storage_secret,
        session_middleware_kwargs={'https_only': settings.secure_cookies, 'same_site': 'lax'},  # always HttpOnly
        proxy_headers=False,  # uvicorn believes X-Forwarded-For from any loopback peer: see LOWROUTER_TRUSTED_PROXIES
    )


def _settings_problem(settings: Settings) -> str | None:
    try:
        settings.proxy_networks  # noqa: B018 (parsing it is the check)
    except ValueError as error:
        return f'LOWROUTER_TRUSTED_PROXIES: {error}'
    return None


if __name__ in {'__main__', '__mp_main__'}:
    main(sys.argv[1:])
