"""The command line of app.py: the server's options and every command that works without the server.

`python app.py --help` lists the commands below; `python app.py COMMAND --help` explains one. Like api/ and
pages/, this package is an interface: it parses arguments, calls services and prints what happened.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError

from services import db_check
from services.config import Settings


@dataclass(frozen=True)
class Command:
    module: str  # cli.<module> holds `function(argv, settings) -> exit status`
    function: str
    summary: str


COMMANDS: dict[str, Command] = {
    'create-key': Command('keys', 'create_key_command', 'create an API key without a browser; prints its secret once'),
    'hash-password': Command(
        'password', 'hash_password_command', 'print the hash for LOWROUTER_DASHBOARD_PASSWORD_HASH'
    ),
    'prune': Command('maintenance', 'prune_command', "delete generations older than each account's retention now"),
    'rebuild-rollups': Command(
        'maintenance', 'rebuild_rollups_command', 'recompute the usage rollups from the raw generations (repair)'
    ),
    'eco-recompute': Command(
        'eco', 'eco_recompute_command', 'move eco figures recorded under an earlier methodology to the current one'
    ),
}


def is_command(argv: list[str]) -> bool:
    return bool(argv) and argv[0] in COMMANDS


def run_command(argv: list[str]) -> int:
    """Run `argv[0]` with the rest; a database it cannot use is one clear line and status 2."""
    import importlib

    command = COMMANDS[argv[0]]
    function: Callable[[list[str], Settings], int] = getattr(
        importlib.import_module(f'cli.{command.module}'), command.function
    )
    settings = Settings()
    try:
        return function(argv[1:], settings)
    except (DBAPIError, OSError) as error:
        print(f'lowrouter: {db_check.open_problem(settings.database_url, error)}', file=sys.stderr)
        return 2


def server_settings(argv: list[str]) -> Settings:
    """The server's settings: the environment first, then the command-line options on top of it."""
    width = max(len(name) for name in COMMANDS)
    commands = '\n'.join(f'  {name.ljust(width)}  {c.summary}' for name, c in COMMANDS.items())
    parser = argparse.ArgumentParser(
        prog='python app.py',
        description='Start the lowrouter dashboard, its HTTP API and its router (http://127.0.0.1:8080 by default).',
        epilog=f'commands (python app.py COMMAND --help for their options):\n{commands}',
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument('--host', help='address to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=int, help='port to listen on (default 8080)')
    parser.add_argument('--db', dest='database_url', help='SQLAlchemy database URL (default a SQLite file)')
    parser.add_argument(
        '--demo', action=argparse.BooleanOptionalAction, default=None, help='create a demo account on first start'
    )
    options = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(options).items() if v is not None}
    return Settings(**{**Settings().model_dump(), **overrides})
