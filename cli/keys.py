"""`python app.py create-key`: an API key without a browser."""

from __future__ import annotations

import argparse

from services import db
from services.account import bootstrap
from services.account.accounts import create_account, current_account
from services.config import Settings
from services.keys.api_keys import SCOPES, KeyInputError, create_key


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
