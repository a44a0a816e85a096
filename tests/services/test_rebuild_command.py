"""`python app.py rebuild-rollups` repairs tampered rollups back to exactly what ingestion wrote."""

import subprocess
import sys
from pathlib import Path

from sqlalchemy import delete, update

from services import db
from services.account.accounts import create_account
from services.models import RouteHour, UsageHour
from tests.services.test_rollups import _history, _snapshot

ROOT = Path(__file__).resolve().parents[2]


def test_rebuild_command_restores_the_incremental_rollups(database_url):
    db.init_db(database_url)
    with db.session_scope() as session:
        _history(session, create_account(session, name='Repair me'), count=200)
    with db.session_scope() as session:
        written = _snapshot(session)
        first = session.exec(UsageHour.__table__.select().limit(1)).first()
        session.execute(update(UsageHour).where(UsageHour.id == first.id).values(cost_micros=1))
        session.execute(delete(RouteHour).where(RouteHour.id % 3 == 0))
    with db.session_scope() as session:
        assert _snapshot(session) != written

    repaired = _rebuild(database_url)
    assert repaired.returncode == 0, repaired.stderr
    assert 'Repair me: read 200 generations' in repaired.stdout and 'repaired' in repaired.stdout
    with db.session_scope() as session:
        assert _snapshot(session) == written

    again = _rebuild(database_url)
    assert 'totals unchanged' in again.stdout


def test_rebuild_command_names_an_unknown_account(database_url):
    db.init_db(database_url)
    result = _rebuild(database_url, '--account', '999')
    assert result.returncode == 2 and 'No such account.' in result.stdout


def _rebuild(database_url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, 'app.py', 'rebuild-rollups', '--db', database_url, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
