"""`python app.py hash-password`: the hash for LOWROUTER_DASHBOARD_PASSWORD_HASH."""

from __future__ import annotations

import argparse

from services.config import Settings


def hash_password_command(argv: list[str], _settings: Settings) -> int:
    """`python app.py hash-password`: asks for a password twice and prints its argon2 hash."""
    import getpass

    from services.account.auth import MIN_PASSWORD_LENGTH, hash_password

    argparse.ArgumentParser(
        prog='python app.py hash-password',
        description='Ask for a dashboard password twice and print its argon2 hash, for '
        'LOWROUTER_DASHBOARD_PASSWORD_HASH (the password itself is then stored nowhere).',
    ).parse_args(argv)
    first = getpass.getpass('Dashboard password: ')
    if len(first) < MIN_PASSWORD_LENGTH:
        print(f'Use at least {MIN_PASSWORD_LENGTH} characters.')
        return 2
    if getpass.getpass('Again: ') != first:
        print('The two entries differ.')
        return 2
    print(hash_password(first))
    return 0
