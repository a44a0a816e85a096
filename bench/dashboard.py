"""Server time of GET /dashboard at several database sizes.

    python bench/dashboard.py                      # N = 10 000 and 1 000 000, SQLite files in bench/out/
    python bench/dashboard.py --sizes 10000 100000 --requests 30
    python bench/dashboard.py --db-url postgresql+psycopg://user@127.0.0.1/bench_{n}

Databases are filled through the real ingestion path (prepare_generation + store_generations, the
bulk path the demo uses: same tables, same rollups) with demo-like traffic, and kept between runs.
The figure is the median wall time of an HTTP GET of the whole page on loopback, after warm-up.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func  # noqa: E402
from sqlmodel import select  # noqa: E402

from services import db  # noqa: E402
from services.accounts import create_account, current_account  # noqa: E402
from services.catalog import get_catalog  # noqa: E402
from services.demo import DEMO_KEYS, _demo_key, demo_traffic  # noqa: E402
from services.ingest import prepare_generation, store_generations  # noqa: E402
from services.models import Generation  # noqa: E402

BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--sizes', type=int, nargs='+', default=[10_000, 1_000_000])
    parser.add_argument('--requests', type=int, default=25, help='timed GETs per size (after 3 warm-up GETs)')
    parser.add_argument('--db-url', default=f'sqlite:///{ROOT / "bench" / "out" / "dashboard-{n}.sqlite3"}')
    options = parser.parse_args()
    results = []
    for n in options.sizes:
        url = options.db_url.format(n=n)
        fill(url, n)
        median, p95 = measure(url, options.requests)
        results.append((n, median, p95))
        print(f'N = {n:>10,}: median {median:7.1f} ms   p95 {p95:7.1f} ms', flush=True)
    if len(results) > 1:
        ratio = results[-1][1] / results[0][1]
        print(f'median at {results[-1][0]:,} / median at {results[0][0]:,} = {ratio:.2f} (target <= 1.5)')


def fill(url: str, n: int) -> None:
    if url.startswith('sqlite:///'):
        Path(url.removeprefix('sqlite:///')).parent.mkdir(parents=True, exist_ok=True)
    db.init_db(url)
    with db.session_scope() as session:
        have = session.exec(select(func.count()).select_from(Generation)).one()
        account = current_account(session)
    if have >= n:
        return
    if account is None:
        with db.session_scope() as session:
            account = create_account(session, name=f'Bench {n:,}', timezone='Europe/Berlin')
    rng = random.Random(n)
    catalog = get_catalog()
    with db.session_scope() as session:
        keys = [_demo_key(session, account, spec, rng, datetime.now(UTC)) for spec in DEMO_KEYS]
    began = time.perf_counter()
    traffic = demo_traffic(catalog, keys, rng, datetime.now(UTC), per_day=n // 60 + 1)  # a little more than n
    batch, written = [], have
    for key, payload in traffic:
        batch.append(prepare_generation(catalog, account, payload, api_key_id=key.id, rng=rng))
        if len(batch) == BATCH or written + len(batch) >= n:
            with db.session_scope() as session:
                written += store_generations(session, batch)
            batch = []
            if written >= n:
                break
    if batch:
        with db.session_scope() as session:
            written += store_generations(session, batch)
    print(f'filled {written:,} generations in {time.perf_counter() - began:.0f} s', flush=True)
    db.dispose_all()


def measure(url: str, requests: int) -> tuple[float, float]:
    port = _free_port()
    env = {**os.environ, 'LOWROUTER_DATABASE_URL': url}
    process = subprocess.Popen(
        [sys.executable, 'app.py', '--port', str(port), '--no-demo'],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        page = f'http://127.0.0.1:{port}/dashboard'
        with httpx.Client(timeout=60) as client:
            _wait(client, page)
            for _ in range(3):
                client.get(page)
            times = []
            for _ in range(requests):
                began = time.perf_counter()
                response = client.get(page)
                times.append((time.perf_counter() - began) * 1000)
                assert response.status_code == 200 and 'Credit balance' in response.text
        times.sort()
        return statistics.median(times), times[int(0.95 * (len(times) - 1))]
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait(client: httpx.Client, url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if client.get(url).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


if __name__ == '__main__':
    main()
