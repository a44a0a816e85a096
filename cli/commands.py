"""Command-line actions of app.py that do not start the server."""

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


def prune_command(argv: list[str], settings: Settings) -> int:
    """`python app.py prune`: delete now the generations each account's retention setting no longer keeps."""
    from sqlmodel import select

    from services.models import Account
    from services.timeutil import format_local
    from services.usage.retention import prune_all

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


def rebuild_rollups_command(argv: list[str], settings: Settings) -> int:
    """`python app.py rebuild-rollups`: recompute the hourly rollups from the raw generations (a repair tool)."""
    import time

    from sqlmodel import select

    from services.models import Account
    from services.usage.rollups import ROLLUPS, rebuild_rollups

    parser = argparse.ArgumentParser(
        prog='python app.py rebuild-rollups',
        description='Recompute the hourly rollups every page reads from the raw generations. They are kept up to '
        'date as generations arrive; this repairs them after a manual change to the database. Hours whose raw '
        'generations were deleted under a retention setting are kept as they are. Ingestion waits meanwhile.',
    )
    parser.add_argument('--account', type=int, help='only this account id (default: every account)')
    parser.add_argument(
        '--db', dest='database_url', help='database URL (default: LOWROUTER_DATABASE_URL or the SQLite file)'
    )
    options = parser.parse_args(argv)
    overrides = {'database_url': options.database_url} if options.database_url else {}
    bootstrap.start(Settings(**{**settings.model_dump(), **overrides, 'demo': False}))
    with db.read_scope() as session:
        query = select(Account.id, Account.name).order_by(Account.id)
        if options.account is not None:
            query = query.where(Account.id == options.account)
        accounts = list(session.exec(query))
    if not accounts:
        print('No such account.' if options.account is not None else 'There is no account yet: nothing to do.')
        return 2 if options.account is not None else 0
    for account_id, name in accounts:
        began = time.perf_counter()
        with db.session_scope() as session:
            before = [_rollup_totals(session, rollup, account_id) for rollup in ROLLUPS]
            read = rebuild_rollups(session, account_id)
            after = [_rollup_totals(session, rollup, account_id) for rollup in ROLLUPS]
        outcome = 'totals unchanged' if before == after else f'repaired (totals were {before}, now {after})'
        print(f'{name}: read {read:,} generations in {time.perf_counter() - began:.1f} s; {outcome}.')
    return 0


def _rollup_totals(session, rollup, account_id: int) -> tuple[int, int, int]:
    from sqlalchemy import func
    from sqlmodel import select

    table = rollup.table
    return tuple(
        session.exec(
            select(
                func.count(),
                func.coalesce(func.sum(table.requests), 0),
                func.coalesce(func.sum(table.cost_micros), 0),
            ).where(table.account_id == account_id)
        ).one()
    )


def hash_password_command() -> int:
    """`python app.py hash-password`: asks for a password twice and prints its argon2 hash."""
    import getpass

    from services.account.auth import MIN_PASSWORD_LENGTH, hash_password

    first = getpass.getpass('Dashboard password: ')
    if len(first) < MIN_PASSWORD_LENGTH:
        print(f'Use at least {MIN_PASSWORD_LENGTH} characters.')
        return 2
    if getpass.getpass('Again: ') != first:
        print('The two entries differ.')
        return 2
    print(hash_password(first))
    return 0


def eco_recompute_command(argv: list[str], settings: Settings) -> int:
    """`python app.py eco-recompute`: recompute the eco figures of generations stamped with an older methodology."""
    import sys
    import time

    from sqlalchemy.exc import DBAPIError
    from sqlmodel import select

    from services import db_check
    from services.eco import estimate as eco
    from services.eco.recompute import BATCH, recompute, short_name
    from services.models import Account

    parser = argparse.ArgumentParser(
        prog='python app.py eco-recompute',
        description='Recompute the energy and carbon of every generation recorded under an earlier eco methodology, '
        'and move its figures in the usage totals, so that all figures use the current one. Safe while the app '
        'runs; an interrupted run goes on where it stopped when started again. Requests, tokens and costs do not '
        'change.',
    )
    parser.add_argument('--batch', type=int, default=BATCH, help=f'generations per transaction (default {BATCH:,})')
    parser.add_argument('--account', type=int, help='only this account id (default: every account)')
    parser.add_argument(
        '--db', dest='database_url', help='database URL (default: LOWROUTER_DATABASE_URL or the SQLite file)'
    )
    options = parser.parse_args(argv)
    if options.batch < 1:
        parser.error('--batch: give at least 1')
    settings = Settings(**{**settings.model_dump(), 'demo': False})
    if options.database_url:
        settings = Settings(**{**settings.model_dump(), 'database_url': options.database_url})
    if problem := db_check.url_problem(settings.database_url):
        print(f'lowrouter: {problem}', file=sys.stderr)
        return 2
    try:
        bootstrap.start(settings)
    except (DBAPIError, OSError) as error:  # said here: app.py's own message would name the default URL, not --db
        print(f'lowrouter: {db_check.open_problem(settings.database_url, error)}', file=sys.stderr)
        return 2
    if options.account is not None:
        with db.read_scope() as session:
            if session.exec(select(Account.id).where(Account.id == options.account)).first() is None:
                print('No such account.')
                return 2
    began = time.perf_counter()
    started = False

    def progress(done: int, total: int) -> None:
        nonlocal started
        if not started:
            started = True
            print(f'Current methodology: {eco.METHODOLOGY_VERSION}. {total:,} to recompute.', flush=True)
        if total:
            print(f'\r{_bar(done, total)}', end='', file=sys.stderr, flush=True)

    outcome = recompute(account_id=options.account, batch=options.batch, progress=progress)
    if outcome.to_recompute:
        print(file=sys.stderr, flush=True)  # ends the bar's line
    seconds = time.perf_counter() - began
    skipped = f'; {outcome.vanished:,} deleted meanwhile were skipped' if outcome.vanished else ''
    print(
        f'Recomputed {outcome.recomputed:,} generation{"" if outcome.recomputed == 1 else "s"} in '
        f'{outcome.batches:,} batch{"" if outcome.batches == 1 else "es"} ({seconds:.1f} s){skipped}.'
    )
    if outcome.unknown_models:
        count = sum(outcome.unknown_models.values())
        models = ', '.join(f'{model} ({n:,})' for model, n in outcome.unknown_models.items())
        print(f'{count:,} generations of models no longer in the catalog keep their figures: {models}.')
    for version, count in outcome.kept_buckets.items():
        buckets = f'{count:,} hourly bucket{"" if count == 1 else "s"}'
        print(f'{buckets} before the retention horizon keep {short_name(version)} (their generations are deleted).')
    return 0


def _bar(done: int, total: int, width: int = 30) -> str:
    """'[#########---------------------]  1,234 of 4,000 generations  31 %'"""
    share = min(done / total, 1.0) if total else 1.0
    filled = round(share * width)
    return f'[{"#" * filled}{"-" * (width - filled)}] {done:,} of {total:,} generations {share * 100:3.0f} %'
