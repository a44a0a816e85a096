"""`python app.py` as a user runs it: the options and the loopback guard."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ('PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION')}
    return subprocess.run(
        [sys.executable, 'app.py', *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_non_loopback_host_is_refused_with_a_clear_message(tmp_path):
    result = _run('--host', '0.0.0.0', '--db', f'sqlite:///{tmp_path}/x.sqlite3')
    assert result.returncode != 0
    assert 'refusing to listen on 0.0.0.0 without a dashboard password' in result.stderr
    assert not (tmp_path / 'x.sqlite3').exists()


def test_help_lists_every_option():
    result = _run('--help')
    assert result.returncode == 0
    for option in ('--host', '--port', '--db', '--demo', '--no-demo'):
        assert option in result.stdout
