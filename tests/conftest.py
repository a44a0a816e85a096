"""Fixtures shared by every layer: a fresh database per test (SQLite file, or PostgreSQL when
LOWROUTER_DATABASE_URL points at a server: then each test gets its own database there)."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services import db
from services.account.accounts import create_account
from services.models import Account

SERVER_URL = os.environ.get('LOWROUTER_DATABASE_URL', '')
# the router's journals (services/routing/_journal.py) of test servers stay out of the working tree
os.environ.setdefault('LOWROUTER_JOURNAL_DIR', tempfile.mkdtemp(prefix='lowrouter-journals-'))


@contextmanager
def fresh_database(folder: Path, *, migrated: bool = False) -> Iterator[str]:
    """A new database: a SQLite file in `folder`, or a new database on the PostgreSQL server. Empty, or with
    `migrated` a copy of one the migrations have already built (a file copy or a PostgreSQL template: the
    migrations run once per test process, not once per test)."""
    if not SERVER_URL.startswith('postgresql'):
        path = folder / 'lowrouter-test.sqlite3'
        if migrated:
            shutil.copyfile(_migrated_template(), path)
        yield f'sqlite:///{path}'
        db.dispose_all()
        return
    name = f'lr_test_{uuid.uuid4().hex[:16]}'
    admin = create_engine(SERVER_URL, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        template = f' TEMPLATE {_migrated_template()}' if migrated else ''
        connection.execute(text(f'CREATE DATABASE {name}{template}'))
    try:
        yield SERVER_URL.rsplit('/', 1)[0] + '/' + name
    finally:
        db.dispose_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()


_template: list[str] = []  # this process's migrated database: a SQLite file path or a PostgreSQL database name


def _migrated_template() -> str:
    if _template:
        return _template[0]
    if SERVER_URL.startswith('postgresql'):
        name = f'lr_template_{uuid.uuid4().hex[:16]}'
        admin = create_engine(SERVER_URL, isolation_level='AUTOCOMMIT')
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE {name}'))
        url = SERVER_URL.rsplit('/', 1)[0] + '/' + name

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
            admin.dispose()

        atexit.register(drop)
    else:
        name = str(Path(tempfile.mkdtemp(prefix='lowrouter-template-')) / 'migrated.sqlite3')
        url = f'sqlite:///{name}'
        atexit.register(shutil.rmtree, Path(name).parent, ignore_errors=True)
    engine = create_engine(url)  # not the app's engine: no connection may stay open on a template
    db.upgrade(engine)
    engine.dispose()
    _template.append(name)
    return name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """NiceGUI's `user` fixture runs two full garbage collections per test, and each one walks every object
    the session has made (the app's libraries, hypothesis, schemathesis…): half of a UI test's time. After each
    test, what is still alive is moved out of the collector's sight (`gc.freeze`), so the next collections walk
    only what that test made. Objects frozen here and freed later are still freed by reference counting."""
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _test_host_name(monkeypatch):
    """In-process HTTP tests (NiceGUI's `user` fixture) send `Host: test`: the app is told to answer to it."""
    monkeypatch.setenv('LOWROUTER_ALLOWED_HOSTS', 'test')


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> Iterator[str]:
    """A database of this test alone, its schema already at the newest migration."""
    with fresh_database(tmp_path, migrated=True) as url:
        monkeypatch.setenv('LOWROUTER_DATABASE_URL', url)
        yield url


@pytest.fixture
def empty_database_url(tmp_path, monkeypatch) -> Iterator[str]:
    """A database of this test alone with no schema at all (for the migrations' own tests)."""
    with fresh_database(tmp_path) as url:
        monkeypatch.setenv('LOWROUTER_DATABASE_URL', url)
        yield url


@pytest.fixture
def engine(database_url):
    db.init_db(database_url)
    return db.get_engine()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def account(session) -> Account:
    account = create_account(session, name='Test Account', currency='USD', timezone='Europe/Paris')
    session.commit()
    return account
