"""`python app.py --help` lists every command with one line, and each command explains itself."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import cli

ROOT = Path(__file__).resolve().parent.parent


def _app(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, 'app.py', *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def test_help_lists_every_command_with_its_line():
    result = _app('--help')
    assert result.returncode == 0, result.stderr
    listed = result.stdout.split('commands (python app.py COMMAND --help for their options):')[1]
    lines = [line.split(None, 1) for line in listed.strip().splitlines()]
    assert [name for name, _ in lines] == list(cli.COMMANDS)
    for name, summary in lines:
        assert summary == cli.COMMANDS[name].summary


@pytest.mark.parametrize('name', list(cli.COMMANDS))
def test_each_command_has_its_own_help(name):
    result = _app(name, '--help')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f'usage: python app.py {name}')
