"""The database: one engine per URL, SQLite pragmas, migrations at start-up, sessions."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, QueuePool, event, inspect
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

T = TypeVar('T')

MIGRATIONS = Path(__file__).parent / 'migrations'

_engines: dict[str, Engine] = {}
WRITER_WAIT = 30.0  # seconds a writer queues in-process before leaving it to SQLite
# Connections per process: enough for every request that can hold one at a time (api/deps.py admits 16
# reads and 6 writes with a session, plus short key checks, ingestion in worker threads, pages and
# background jobs), so a request never waits for a connection that a queued request holds.
SQLITE_POOL = (20, 80)  # kept open, extra when busy: a SQLite connection is a file handle and a page cache
SERVER_POOL = (10, 30)  # PostgreSQL: size max_connections for 40 per app process
POOL_WAIT = 10.0  # seconds a request waits for a free connection before it fails (never forever)
_url: str | None = None


def init_db(url: str) -> bool:
    """Point the app at `url` and upgrade its schema in place (never dropping data).

    Returns whether the database was empty (had no schema) before.
    """
    global _url
    _url = url
    engine = get_engine()
    fresh = not inspect(engine).has_table('alembic_version')
    upgrade(engine)
    return fresh


def attach(url: str) -> None:
    """Point this process at `url` as it is (no upgrade): for helper processes of an app that has upgraded it."""
    global _url
    _url = url


def current_url() -> str:
    if _url is None:
        raise RuntimeError('init_db() has not been called')
    return _url


def get_engine(url: str | None = None) -> Engine:
    url = url or _url
    if url is None:
        raise RuntimeError('init_db() has not been called')
    if url not in _engines:
        _engines[url] = _create(url)
    return _engines[url]


def _create(url: str) -> Engine:
    if url.startswith('sqlite'):
        engine = create_engine(
            url,
            connect_args={'check_same_thread': False, 'timeout': 30},
            poolclass=QueuePool,
            pool_size=SQLITE_POOL[0],
            max_overflow=SQLITE_POOL[1],
            pool_timeout=POOL_WAIT,
        )
        engine.info = {'writer': threading.Lock()}  # see _begin_immediate
        event.listen(engine, 'connect', _sqlite_pragmas)
        event.listen(engine, 'begin', _sqlite_begin)
        event.listen(engine, 'checkin', _release_writer)
        event.listen(engine, 'invalidate', lambda dbapi_connection, record, _error: _release_writer(None, record))
        return engine
    return create_engine(
        url, pool_pre_ping=True, pool_size=SERVER_POOL[0], max_overflow=SERVER_POOL[1], pool_timeout=POOL_WAIT
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.execute('PRAGMA synchronous=NORMAL')
    cursor.close()


def _sqlite_begin(connection) -> None:
    if connection.get_execution_options().get('read_only'):
        connection.exec_driver_sql('BEGIN')  # a reader: WAL lets it run beside the writer, never blocking it
        return
    _begin_immediate(connection)


def _begin_immediate(connection) -> None:
    """Every SQLite transaction takes the write lock up front (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once ("database is locked") when another
    writer committed in between, which would turn concurrent top-ups or ingestion into errors; taking the
    lock first makes them wait their turn (busy timeout 30 s) instead. It also makes SAVEPOINTs reliable.

    Within a process, writers queue on a lock before asking SQLite: SQLite's own busy wait polls with
    sleeps of up to 100 ms, which leaves the database idle while a dozen requests wait. The lock is held
    until the connection goes back to the pool; after WRITER_WAIT seconds a writer stops queueing and
    lets SQLite arbitrate (so a nested writer cannot deadlock, it fails as SQLite would).
    """
    info = connection.info  # the pooled connection's: it outlives this Connection until check-in
    if 'writer' not in info:
        writer = connection.engine.info['writer']
        if writer.acquire(timeout=WRITER_WAIT):
            info['writer'] = writer
    connection.exec_driver_sql('BEGIN IMMEDIATE')


def _release_writer(_dbapi_connection, record) -> None:
    writer = record.info.pop('writer', None)
    if writer is not None:
        writer.release()


def upgrade(engine: Engine) -> None:
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), 'head')


def alembic_config(connection) -> Config:
    """The migrations' configuration, running on `connection`."""
    config = Config()
    config.set_main_option('script_location', str(MIGRATIONS))
    config.attributes['connection'] = connection
    return config


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class NotStored(Exception):
    """The database could not store a write (a full or read-only disk, a lost server): nothing was saved."""


def committed(write: Callable[[Session], T]) -> T:
    """`write` in a write session, committed before it returns; NotStored when the database failed."""
    try:
        with session_scope() as session:
            return write(session)
    except DBAPIError as error:
        raise NotStored(str(error.orig)) from error


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session for reading only: on SQLite it neither takes nor waits for the write lock."""
    with Session(get_engine().execution_options(read_only=True), expire_on_commit=False) as session:
        yield session  # closing ends the transaction and keeps what was loaded


def dispose_all() -> None:
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
