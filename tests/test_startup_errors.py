"""A database the app cannot use stops `python app.py` with one clear line and exit status 2, not a traceback."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services import db

ROOT = Path(__file__).resolve().parents[1]


def start(database_url: str, *, as_other_user: bool = False) -> subprocess.CompletedProcess:
    """`python app.py` as an operator starts it; it must stop by itself (a started app would time out here)."""
    env = {k: v for k, v in os.environ.items() if k not in ('NICEGUI_USER_SIMULATION', 'PYTEST_CURRENT_TEST')}
    env['LOWROUTER_DATABASE_URL'] = database_url
    prefix = []
    if as_other_user and os.geteuid() == 0:  # root reads and writes anything: be someone the file system can refuse
        nobody = pwd.getpwnam('nobody')
        prefix = ['setpriv', f'--reuid={nobody.pw_uid}', f'--regid={nobody.pw_gid}', '--clear-groups']
    return subprocess.run(
        [*prefix, sys.executable, 'app.py', '--port', str(_free_port()), '--no-demo'],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can reach (pytest's own temporary folders are private to this user)."""
    folder = Path(tempfile.mkdtemp(prefix='lowrouter-start-'))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in (folder, *folder.rglob('*')):
            path.chmod(0o755 if path.is_dir() else 0o644)
        shutil.rmtree(folder)


@pytest.mark.parametrize(
    ('url', 'expected'),
    [
        ('not a url', 'is not a database URL'),
        ('mysqlx://db.example/lowrouter', "unknown database driver 'mysqlx'"),
        ('postgresql+nosuchdriver://127.0.0.1/lowrouter', 'unknown database driver'),
        ('sqlite://', 'in-memory SQLite database'),
        ('sqlite:///:memory:', 'in-memory SQLite database'),
        ('postgresql+psycopg://lowrouter@127.0.0.1:1/lowrouter', 'cannot open the database'),
    ],
)
def test_an_unusable_database_url_stops_with_one_line(url, expected):
    _assert_one_line(start(url), expected)


def test_a_path_that_is_a_folder_stops_with_one_line(shared_folder):
    _assert_one_line(start(f'sqlite:///{shared_folder}'), 'unable to open database file')


def test_an_unreadable_file_stops_with_one_line(shared_folder):
    database = shared_folder / 'lowrouter.sqlite3'
    db.init_db(f'sqlite:///{database}')  # a real database, made unreadable
    db.dispose_all()
    database.chmod(0)
    _assert_one_line(start(f'sqlite:///{database}', as_other_user=True), 'cannot open the database')


@pytest.mark.parametrize('existing', [False, True], ids=['new file', 'existing database'])
def test_a_read_only_folder_stops_with_one_line(shared_folder, existing):
    database = shared_folder / 'lowrouter.sqlite3'
    if existing:
        db.init_db(f'sqlite:///{database}')
        db.dispose_all()
        for leftover in shared_folder.glob('lowrouter.sqlite3-*'):
            leftover.unlink()
        database.chmod(0o644)
    shared_folder.chmod(0o555)
    _assert_one_line(start(f'sqlite:///{database}', as_other_user=True), 'cannot open the database')


@pytest.mark.parametrize(
    'command', [['create-key', '--name', 'ci', '--scopes', 'read'], ['prune'], ['rebuild-rollups']]
)
def test_a_command_on_an_unreachable_database_stops_with_one_line(command):
    env = {k: v for k, v in os.environ.items() if k not in ('NICEGUI_USER_SIMULATION', 'PYTEST_CURRENT_TEST')}
    env['LOWROUTER_DATABASE_URL'] = 'postgresql+psycopg://lowrouter@127.0.0.1:1/lowrouter'
    result = subprocess.run(
        [sys.executable, 'app.py', *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    _assert_one_line(result, 'cannot open the database')


def _assert_one_line(result: subprocess.CompletedProcess, expected: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr[-2000:]
    assert len(lines) == 1 and lines[0].startswith('lowrouter: ') and expected in lines[0], result.stderr[-2000:]
    assert 'Traceback' not in result.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
