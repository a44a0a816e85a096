"""Start-up: migrate the database, and on the very first start (an empty database) create the demo account.

Once the operator has chosen "Start fresh", the demo never comes back: it is only made for a database
that had no schema at all before this start.
"""

from __future__ import annotations

import logging
import time

from services import db
from services.account.accounts import current_account
from services.account.demo import create_demo_account
from services.config import Settings, sqlite_path

log = logging.getLogger('lowrouter')


def start(settings: Settings) -> None:
    path = sqlite_path(settings.database_url)
    if path is not None and path.parent != path:
        path.parent.mkdir(parents=True, exist_ok=True)
    fresh = db.init_db(settings.database_url)
    with db.session_scope() as session:
        if settings.demo and fresh and current_account(session) is None:
            began = time.perf_counter()
            create_demo_account(session)
            log.info('created the demo account in %.1f s', time.perf_counter() - began)


def stop() -> None:
    db.dispose_all()
