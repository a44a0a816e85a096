"""Fixtures shared by every layer: a fresh database per test (SQLite file, or PostgreSQL when
LOWROUTER_DATABASE_URL points at a server: then each test gets its own database there)."""

from __future__ import annotations

import os
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
def fresh_database(folder: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in `folder`, or a new database on the PostgreSQL server."""
    if not SERVER_URL.startswith('postgresql'):
        yield f'sqlite:///{folder / "lowrouter-test.sqlite3"}'
        db.dispose_all()
        return
    name = f'lr_test_{uuid.uuid4().hex[:16]}'
    admin = create_engine(SERVER_URL, isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE {name}'))
    try:
        yield SERVER_URL.rsplit('/', 1)[0] + '/' + name
    finally:
        db.dispose_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(autouse=True)
def _test_host_name(monkeypatch):
    """In-process HTTP tests (NiceGUI's `user` fixture) send `Host: test`: the app is told to answer to it."""
    monkeypatch.setenv('LOWROUTER_ALLOWED_HOSTS', 'test')


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> Iterator[str]:
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
