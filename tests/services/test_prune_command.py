"""`python app.py prune`: prunes every account with a retention setting now and says what it deleted."""

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from services.account.accounts import create_account
from services.models import Account, Generation, utcnow
from services.timeutil import format_local
from services.usage.ingest import record_generation
from services.usage.retention import cutoff_for, set_retention

ROOT = Path(__file__).resolve().parents[2]


def test_prune_from_the_command_line(session, account, database_url):
    now = utcnow()
    for days_ago in (45, 40, 31, 20, 1):
        record_generation(
            session,
            account,
            {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 100, 'completion_tokens': 20,
             'created_at': now - timedelta(days=days_ago)},
        )  # fmt: skip
    keeper = create_account(session, name='Keeper Inc')
    record_generation(
        session,
        keeper,
        {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 1, 'completion_tokens': 1,
         'created_at': now - timedelta(days=400)},
    )  # fmt: skip
    set_retention(session, account, 30)
    session.commit()

    result = _prune(database_url)

    assert result.returncode == 0, result.stderr
    pruned = session.get(Account, account.id)
    session.refresh(pruned)
    cutoff = format_local(pruned.pruned_before, 'Europe/Paris')
    assert pruned.pruned_before >= cutoff_for(30, now)
    lines = result.stdout.strip().splitlines()
    assert lines == [
        f'Test Account: keeps 30 days; deleted 3 generations; nothing recorded before {cutoff} (Europe/Paris) '
        'is stored any more.',
        'Keeper Inc: keeps every generation (no retention setting); nothing deleted.',
    ]
    counts = dict(session.exec(select(Generation.account_id, func.count()).group_by(Generation.account_id)).all())
    assert counts == {account.id: 2, keeper.id: 1}
    session.rollback()  # let go of SQLite's write lock for the second run
    again = _prune(database_url)
    assert 'deleted 0 generations' in again.stdout


def _prune(database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, 'app.py', 'prune', '--db', database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={'PATH': '/usr/bin:/bin', 'LOWROUTER_DEMO': 'false'},
    )
