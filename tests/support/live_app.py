"""A real `python app.py` on loopback over a fresh database, and a full disk for it.

The server runs in its own process, so the test reads the database through connections of its own: what
it finds there right after an answer is what a client relying on that answer would find.
"""

from __future__ import annotations

import resource
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.server import AppProcess
from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from tests.conftest import fresh_database

ALL_SCOPES = ['inference', 'ingest', 'read', 'manage']


@dataclass
class LiveApp:
    app: AppProcess
    url: str
    account_id: int
    headers: dict[str, str]  # a key with every scope and no limit

    @property
    def base(self) -> str:
        return self.app.base


@contextmanager
def live_app(folder: Path) -> Iterator[LiveApp]:
    """The app on a fresh database with one account (with an e-mail address, and SMTP configured so receipts
    are queued for e-mail) and a key holding every scope."""
    with fresh_database(folder) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Live Co')
            account.email = 'owner@example.com'
            secret = create_key(session, account, name='admin', scopes=ALL_SCOPES).secret
            account_id = account.id
        env = {'LOWROUTER_SMTP_HOST': '127.0.0.1', 'LOWROUTER_SMTP_PORT': str(_closed_port())}
        with AppProcess(url, env=env) as app:
            yield LiveApp(app, url, account_id, {'Authorization': f'Bearer {secret}'})


@contextmanager
def disk_full(live: LiveApp) -> Iterator[None]:
    """Every commit of the server fails the way a full disk fails it, until the block ends.

    SQLite: the file-size limit of the server process (RLIMIT_FSIZE) drops to 0 after the write-ahead log
    was emptied, so the first write of a commit fails (SQLite reports an I/O error, as with ENOSPC; reads
    go on). PostgreSQL: a deferred constraint trigger on every table raises `disk_full` (SQLSTATE 53100) at
    COMMIT. Either way the statements of a request succeed and only its commit fails: the case where an
    answer sent before the commit would claim a write that was lost."""
    if live.url.startswith('sqlite'):
        engine = create_engine(live.url)
        with engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql('PRAGMA wal_checkpoint(TRUNCATE)').one()
        engine.dispose()
        assert busy == 0, 'the server was busy: the log could not be emptied'
        pid = live.app.process.pid
        soft, hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, hard))
        try:
            yield
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, (soft, hard))
        return
    engine = create_engine(live.url, isolation_level='AUTOCOMMIT')
    with engine.connect() as connection:
        connection.execute(text(FAIL_AT_COMMIT))
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'")
        ).scalars()
        for table in tables:
            connection.execute(
                text(
                    f'CREATE CONSTRAINT TRIGGER lr_disk_full AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
                    'DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lr_disk_full()'
                )
            )
    try:
        yield
    finally:
        with engine.connect() as connection:
            connection.execute(text('DROP FUNCTION lr_disk_full() CASCADE'))
        engine.dispose()


FAIL_AT_COMMIT = """
CREATE FUNCTION lr_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
END $$
"""


def _closed_port() -> int:
    """A loopback port nothing listens on: e-mails are queued, and their delivery fails and is retried."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
