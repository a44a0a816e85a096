"""lowrouter at scale: build databases of N generations and measure what users wait for.

    python bench/run.py                  # N = 10 000 and 10 000 000, on SQLite
    python bench/run.py --quick          # N = 10 000 and 1 000 000, fewer requests (CI)
    python bench/run.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432
                                         # the same on PostgreSQL too (databases lowrouter_bench_<n>)

Databases are filled by bench/fill.py (kept in bench/out/ and in PostgreSQL between runs, so a second
run only measures) and served by `python app.py` on loopback: the dashboard, a transaction, /usage over 90 days
and the first page of /logs are timed at both sizes, and the CSV export (all models, and one model) at the big
one. Each backend also takes bursts of 200
concurrent mixed requests (bench/concurrency.py, on a fresh database) and routes chat completions to a fast
upstream on loopback (bench/gateway.py: the time lowrouter adds, on a fresh database; --gateway-only runs
just that; --live-only runs only bench/live.py: open dashboards updating by themselves under traffic). The
figures, the machine and the date are printed and added to bench/RESULTS.md (--no-record to skip).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import concurrency, figures, gateway, live  # noqa: E402
from bench.fill import fill  # noqa: E402
from bench.report import Row, record, table  # noqa: E402
from bench.server import AppProcess  # noqa: E402
from services import db  # noqa: E402

OUT = ROOT / 'bench' / 'out'
USAGE_90_DAYS, USAGE_MARK = '/usage?range=90d', 'Usage over time'  # the explorer page, and a text it shows
LOGS_MARK = 'Load more'  # the first page of /logs, and a text it shows when there are more
TARGETS_MISSED = 3  # exit status when it ran through but missed a target (a crash exits 1)


@dataclass
class Plan:
    small: int
    big: int
    page_requests: int
    batches: int
    singles: int
    csv_rows: int
    backends: dict[str, str] = field(default_factory=dict)  # name -> URL template with {n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='N = 1 000 000 and fewer requests: minutes, for CI')
    parser.add_argument('--sizes', type=int, nargs=2, metavar=('SMALL', 'BIG'), help='override the two sizes')
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server URL, without database name')
    parser.add_argument('--no-sqlite', action='store_true', help='measure PostgreSQL only')
    parser.add_argument('--no-record', action='store_true', help='do not add the figures to bench/RESULTS.md')
    parser.add_argument('--gateway-only', action='store_true', help='only the gateway figures (bench/gateway.py)')
    parser.add_argument('--ingest-only', action='store_true', help='only batch and single ingest, at the small size')
    parser.add_argument('--scale-only', action='store_true', help='only the pages, ingest and exports at both sizes')
    parser.add_argument('--export-only', action='store_true', help='only the CSV exports, at the big size')
    parser.add_argument('--live-only', action='store_true', help='only live dashboards under traffic (bench/live.py)')
    options = parser.parse_args()
    plan = Plan(10_000, 10_000_000, 30, 20, 1000, 1_000_000)
    if options.quick:
        plan = Plan(10_000, 1_000_000, 15, 10, 500, 1_000_000)
    if options.sizes:
        plan.small, plan.big = options.sizes
    if not options.no_sqlite:
        OUT.mkdir(parents=True, exist_ok=True)
        plan.backends['SQLite'] = f'sqlite:///{OUT / "lowrouter-{n}.sqlite3"}'
    if options.postgres:
        plan.backends['PostgreSQL'] = options.postgres.rstrip('/') + '/lowrouter_bench_{n}'
    if not plan.backends:
        parser.error('nothing to measure: drop --no-sqlite or give --postgres')
    rows: list[Row] = []
    for name, template in plan.backends.items():
        if options.ingest_only:
            rows += measure_ingest(name, template.format(n=plan.small), plan)
            continue
        if options.export_only:
            rows += export_only(name, template.format(n=plan.big), plan)
            continue
        if options.live_only:
            rows += live.measure_rows(name, options.postgres, seconds=15 if options.quick else 30)
            continue
        if not options.gateway_only:
            rows += measure_backend(name, template, plan)
            if options.scale_only:
                continue
            rows.append(measure_concurrency(name, options.postgres))
        rows += measure_gateway(name, options.postgres, quick=options.quick)
    print()
    print(table(rows))
    if not options.no_record:
        titles = {'gateway only': options.gateway_only, 'ingest only': options.ingest_only}
        titles['pages, ingest and exports only'] = options.scale_only
        titles['live dashboards only'] = options.live_only
        titles['CSV exports only'] = options.export_only
        title = next((title for title, chosen in titles.items() if chosen), None)
        record(ROOT / 'bench' / 'RESULTS.md', rows, plan, quick=options.quick, title=title)
        print('\nadded to bench/RESULTS.md')
    failed = [r for r in rows if r.met is False]
    sys.exit(TARGETS_MISSED if failed else 0)


def measure_backend(name: str, template: str, plan: Plan) -> list[Row]:
    small_url, big_url = template.format(n=plan.small), template.format(n=plan.big)
    pages: dict[int, tuple[figures.Timing, figures.Timing]] = {}
    for n, url in ((plan.small, small_url), (plan.big, big_url)):
        _create_database(url)
        print(f'{name}: {n:,} generations', flush=True)
        fill(url, n)
        ids = figures.sample_ids(plan.page_requests)
        with AppProcess(url) as app:
            dashboard = figures.timed_gets(app, ['/dashboard'] * plan.page_requests, expect='Credit balance')
            detail = figures.timed_gets(app, [f'/transactions/{i}' for i in ids], expect='Prompt tokens')
            explorer = figures.timed_gets(app, [USAGE_90_DAYS] * plan.page_requests, expect=USAGE_MARK)
            logs = figures.timed_gets(app, ['/logs'] * plan.page_requests, expect=LOGS_MARK)
            pages[n] = dashboard, detail, explorer, logs
            print(f'  /dashboard {dashboard}; /transactions/<id> {detail}', flush=True)
            print(f'  {USAGE_90_DAYS} {explorer}; /logs {logs}', flush=True)
    db.init_db(big_url)
    secret = figures.bench_key()
    with AppProcess(big_url) as app:
        cold = app.cold_start_s
        batch = figures.ingest_rate(app, secret, batches=plan.batches)
        print(f'  batch ingest {batch:,.0f} generations/s', flush=True)
        single = figures.single_rate(app, secret, requests=plan.singles)
        print(f'  single ingest {single:,.0f} requests/s', flush=True)
        exports = measure_exports(name, app, secret, plan)
        rss = app.memory_kib(children=False) / 1024
    db.dispose_all()
    big = f'{plan.big:,}'
    rows = []
    for index, page in enumerate(('/dashboard', '/transactions/<id>', '/usage, 90 days', '/logs, first page')):
        small_timing, big_timing = pages[plan.small][index], pages[plan.big][index]
        rows.append(Row(name, f'{page}, {plan.small:,}', str(small_timing), None, None))
        rows.append(Row(name, f'{page}, {big}', str(big_timing), *_ratio(big_timing, small_timing)))
    return (
        rows
        + exports
        + [
            Row(name, 'batch ingest (500 per request)', f'{batch:,.0f} gen/s', '>= 5 000 gen/s', batch >= 5000),
            Row(name, 'single ingest', f'{single:,.0f} req/s', '>= 300 req/s', single >= 300),
            Row(name, f'cold start to first /dashboard, {big}', f'{cold:.2f} s', '< 3 s', cold < 3),
            Row(name, 'server resident memory after all', f'{rss:.0f} MB', '< 400 MB', rss < 400),
        ]
    )


def measure_exports(name: str, app: AppProcess, secret: str, plan: Plan) -> list[Row]:
    """The CSV export of the newest plan.csv_rows generations, then of a quarter as many of one model, each run
    twice (the first may read from disk). Memory: the server and its export helper processes together; the
    first run starts the helpers, so its growth holds their own memory, which is shown apart."""
    since, expected = figures.newest_rows_since(plan.csv_rows)
    first_rate, first_growth = figures.csv_export(app, secret, since, expected)
    helpers = app.memory_kib() / 1024 - app.memory_kib(children=False) / 1024
    csv_rate, csv_growth = figures.csv_export(app, secret, since, expected)  # the same export again
    print(f'  CSV {expected:,} rows: {first_rate:,.0f} then {csv_rate:,.0f} rows/s, memory +{csv_growth:.0f} MB')
    model = figures.busiest_model()
    model_since, model_rows = figures.newest_rows_since(plan.csv_rows // 4, model=model)
    figures.csv_export(app, secret, model_since, model_rows, model=model)  # rows may still be on disk
    model_rate, model_growth = figures.csv_export(app, secret, model_since, model_rows, model=model)
    print(f'  CSV of {model}, {model_rows:,} rows: {model_rate:,.0f} rows/s, memory +{model_growth:.0f} MB')
    return [
        Row(
            name,
            f'CSV export of one model, {model_rows:,} rows',
            f'{model_rate:,.0f} rows/s, +{model_growth:.0f} MB',
            '>= 100 000 rows/s, < 100 MB',
            model_rate >= 1e5 and model_growth < 100,
        ),
        Row(
            name,
            f'CSV export, {expected:,} rows, first run',
            f'{first_rate:,.0f} rows/s, +{first_growth:.0f} MB (export helpers started: {helpers:.0f} MB)',
            None,
            None,
        ),
        Row(
            name,
            f'CSV export, {expected:,} rows, repeated',
            f'{csv_rate:,.0f} rows/s',
            '>= 100 000 rows/s',
            csv_rate >= 1e5,
        ),
        Row(
            name,
            'CSV export, peak memory growth (server and helpers)',
            f'{csv_growth:.0f} MB',
            '< 100 MB',
            csv_growth < 100,
        ),
    ]


def export_only(name: str, url: str, plan: Plan) -> list[Row]:
    """Only the CSV export figures, on the big database (filled first if it is new)."""
    with _filled_app(url, plan.big, f'{name}: exports at {plan.big:,} generations') as (app, secret):
        return measure_exports(name, app, secret, plan)


@contextmanager
def _filled_app(url: str, n: int, title: str) -> Iterator[tuple[AppProcess, str]]:
    """The app serving a database of at least n generations (filled first if it is new), and an API key."""
    _create_database(url)
    print(title, flush=True)
    fill(url, n)
    db.init_db(url)
    secret = figures.bench_key()
    try:
        with AppProcess(url) as app:
            yield app, secret
    finally:
        db.dispose_all()


def measure_ingest(name: str, url: str, plan: Plan) -> list[Row]:
    """Batch and single ingest over HTTP into a database of plan.small generations (the targets of both)."""
    with _filled_app(url, plan.small, f'{name}: ingest into {plan.small:,} generations') as (app, secret):
        batch = figures.ingest_rate(app, secret, batches=plan.batches)
        single = figures.single_rate(app, secret, requests=plan.singles)
    print(f'  batch ingest {batch:,.0f} generations/s; single ingest {single:,.0f} requests/s', flush=True)
    return [
        Row(name, 'batch ingest (500 per request)', f'{batch:,.0f} gen/s', '>= 5 000 gen/s', batch >= 5000),
        Row(name, 'single ingest', f'{single:,.0f} req/s', '>= 300 req/s', single >= 300),
    ]


def measure_concurrency(name: str, postgres: str | None) -> Row:
    """bench/concurrency.py: bursts of 200 mixed requests at once on a fresh database."""
    result = concurrency.measure(concurrency.fresh_url(name, postgres))
    print(f'  {result}', flush=True)
    value = (
        f'{sum(result.errors.values())} errors, p50 {result.percentile(50):.2f} s, p95 {result.percentile(95):.2f} s, '
        f'p99 {result.percentile(99):.2f} s, {result.requests / result.seconds:,.0f} req/s; '
        f'/dashboard meanwhile: slowest {max(result.dashboard, default=0):.2f} s'
    )
    return Row(name, '200 API requests at once, 80 % reads (5 bursts)', value, '0 errors, p99 < 2 s', result.met)


def measure_gateway(name: str, postgres: str | None, *, quick: bool) -> list[Row]:
    """bench/gateway.py: the time lowrouter adds to a chat completion, on a fresh database."""
    result = gateway.measure(concurrency.fresh_url(name, postgres, 'gateway'), gateway.QUICK if quick else gateway.FULL)
    print(f'{name} gateway: {result}', flush=True)
    return result.rows(name)


def _ratio(big: figures.Timing, small: figures.Timing) -> tuple[str, bool]:
    ratio = big.median_ms / small.median_ms
    return f'<= 1.5x small ({ratio:.2f}x)', ratio <= 1.5


def _create_database(url: str) -> None:
    """PostgreSQL: create the benchmark database on first use (SQLite files create themselves)."""
    if not url.startswith('postgresql'):
        return
    from sqlalchemy import create_engine, text

    server, name = url.rsplit('/', 1)
    admin = create_engine(server + '/postgres', isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        if connection.execute(text('SELECT 1 FROM pg_database WHERE datname = :n'), {'n': name}).first() is None:
            connection.execute(text(f'CREATE DATABASE {name}'))
    admin.dispose()


if __name__ == '__main__':
    main()
