"""Fixtures shared by every layer: a fresh database per test (SQLite file, or PostgreSQL when
LOWROUTER_DATABASE_URL points at a server: then each test gets its own database there)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from services import db
from services.accounts import create_account
from services.models import Account

SERVER_URL = os.environ.get('LOWROUTER_DATABASE_URL', '')


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> Iterator[str]:
    if SERVER_URL.startswith('postgresql'):
        name = f'lr_test_{uuid.uuid4().hex[:16]}'
        admin = create_engine(SERVER_URL, isolation_level='AUTOCOMMIT')
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE {name}'))
        url = SERVER_URL.rsplit('/', 1)[0] + '/' + name
        monkeypatch.setenv('LOWROUTER_DATABASE_URL', url)
        yield url
        db.dispose_all()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS {name} WITH (FORCE)'))
        admin.dispose()
    else:
        url = f'sqlite:///{tmp_path / "lowrouter-test.sqlite3"}'
        monkeypatch.setenv('LOWROUTER_DATABASE_URL', url)
        yield url
        db.dispose_all()


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
