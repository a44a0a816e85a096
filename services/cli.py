"""Command-line actions of app.py that do not start the server."""

from __future__ import annotations

import argparse

from services import bootstrap, db
from services.accounts import create_account, current_account
from services.config import Settings
from services.keys import SCOPES, KeyInputError, create_key


def create_key_command(argv: list[str], settings: Settings) -> int:
    """`python app.py create-key --name NAME --scopes read,ingest`: prints the secret alone on the last line."""
    parser = argparse.ArgumentParser(
        prog='python app.py create-key', description='Create an API key without a browser.'
    )
    parser.add_argument('--name', required=True, help='a name to recognise the key by')
    parser.add_argument('--scopes', required=True, help=f'comma-separated, from {",".join(SCOPES)}')
    parser.add_argument(
        '--db', dest='database_url', help='database URL (default: LOWROUTER_DATABASE_URL or the SQLite file)'
    )
    options = parser.parse_args(argv)
    if options.database_url:
        settings = Settings(**{**settings.model_dump(), 'database_url': options.database_url})
    bootstrap.start(settings)
    with db.session_scope() as session:
        account = current_account(session)
        if account is None:
            account = create_account(session, name='My account')
            print('No account yet: created "My account" (USD, UTC); change it in the dashboard.')
        try:
            new = create_key(
                session, account, name=options.name, scopes=[s.strip() for s in options.scopes.split(',') if s.strip()]
            )
        except KeyInputError as error:
            parser.error(f'{error.field}: {error.message}')
        scopes = ', '.join(new.key.scopes)
        print(f'Created key "{new.key.name}" ({scopes}) for {account.name}. Its secret, shown only now:')
        print(new.secret)
    return 0


def prune_command(argv: list[str], settings: Settings) -> int:
    """`python app.py prune`: delete now the generations each account's retention setting no longer keeps."""
    from sqlmodel import select

    from services.models import Account
    from services.retention import prune_all
    from services.timeutil import format_local

    parser = argparse.ArgumentParser(
        prog='python app.py prune',
        description="Delete raw generations older than each account's data-retention setting. Rollups, invoices, "
        'balances and every total are unaffected. The app also does this every hour by itself.',
    )
    parser.add_argument(
        '--db', dest='database_url', help='database URL (default: LOWROUTER_DATABASE_URL or the SQLite file)'
    )
    options = parser.parse_args(argv)
    overrides = {'database_url': options.database_url} if options.database_url else {}
    bootstrap.start(Settings(**{**settings.model_dump(), **overrides, 'demo': False}))
    results = {r.account_id: r for r in prune_all()}
    with db.read_scope() as session:
        accounts = list(session.exec(select(Account).order_by(Account.id)))
    if not accounts:
        print('There is no account yet: nothing to prune.')
    for account in accounts:
        result = results.get(account.id)
        if result is None:
            print(f'{account.name}: keeps every generation (no retention setting); nothing deleted.')
            continue
        since = format_local(result.pruned_before, result.timezone) if result.pruned_before else 'the start'
        print(
            f'{account.name}: keeps {result.retention_days} days; deleted {result.deleted:,} '
            f'generation{"" if result.deleted == 1 else "s"}; nothing recorded before {since} ({result.timezone}) '
            'is stored any more.'
        )
    return 0


def hash_password_command() -> int:
    """`python app.py hash-password`: asks for a password twice and prints its argon2 hash."""
    import getpass

    from services.auth import hash_password

    first = getpass.getpass('Dashboard password: ')
    if len(first) < 8:
        print('Use at least 8 characters.')
        return 2
    if getpass.getpass('Again: ') != first:
        print('The two entries differ.')
        return 2
    print(hash_password(first))
    return 0
