"""`python app.py prune` and `rebuild-rollups`: maintenance of stored generations and their rollups."""

from __future__ import annotations

import argparse

from services import db
from services.account import bootstrap
from services.config import Settings


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
