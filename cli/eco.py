"""`python app.py eco-recompute`: move stored eco figures to the current methodology."""

from __future__ import annotations

import argparse

from services import db
from services.account import bootstrap
from services.config import Settings


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
