"""Many clients at once: mixed requests against a real `python app.py`, on SQLite and on PostgreSQL.

    python bench/concurrency.py                       # SQLite: 5 bursts of 200 requests at once
    python bench/concurrency.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432
    python bench/concurrency.py --concurrency 400 --bursts 10

Each burst sends 200 API requests at once, from 200 clients: 80 % reads (credits, the generations list,
usage, the keys list) and 20 % writes (single ingestion, top-ups, key creation), shuffled. Meanwhile a person
opens /dashboard about once a second: the page must keep answering during the bursts (the freeze this
measures held the dashboard too). Reports errors (any status >= 400, or no answer within the
client's timeout), latency percentiles over every request of every burst, throughput, and the slowest
dashboard visit. Target: 0 errors and p99 under 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import AppProcess  # noqa: E402
from services import db  # noqa: E402
from services.account.accounts import create_account  # noqa: E402
from services.keys.api_keys import create_key  # noqa: E402

OUT = ROOT / 'bench' / 'out'
GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 400, 'completion_tokens': 120}
READS = {
    'credits': ('GET', '/api/v1/credits'),
    'generations': ('GET', '/api/v1/generations?limit=50'),
    'usage': ('GET', '/api/v1/usage?group_by=model'),
    'keys': ('GET', '/api/v1/keys'),
}
WRITES = ('ingest', 'top-up', 'create key')
P99_TARGET_S = 2.0
VISIT_EVERY_S = 1.0  # a person reloading the dashboard during a burst


@dataclass
class Result:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    errors: Counter = field(default_factory=Counter)  # 'kind: status or exception' -> count
    dashboard: list[float] = field(default_factory=list)  # seconds, each /dashboard visit during the bursts

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method='inclusive')[p - 1] if self.latencies else 0.0

    @property
    def met(self) -> bool:
        return not self.errors and self.percentile(99) < P99_TARGET_S

    def __str__(self) -> str:
        return (
            f'{self.requests:,} requests in bursts of {self.concurrency}: {sum(self.errors.values())} errors, '
            f'p50 {self.percentile(50) * 1000:.0f} ms, p95 {self.percentile(95) * 1000:.0f} ms, '
            f'p99 {self.percentile(99) * 1000:.0f} ms, {self.requests / self.seconds:,.0f} req/s; '
            f'{len(self.dashboard)} dashboard visits meanwhile, slowest {max(self.dashboard, default=0) * 1000:.0f} ms'
        )


def mixed(count: int, seed: int = 13) -> list[str]:
    """`count` request kinds, 80 % reads spread evenly over READS and 20 % writes over WRITES, shuffled."""
    writes = count // 5
    kinds = [list(READS)[i % len(READS)] for i in range(count - writes)] + [WRITES[i % 3] for i in range(writes)]
    random.Random(seed).shuffle(kinds)
    return kinds


async def burst(base: str, secret: str, kinds: list[str], concurrency: int, timeout: float = 60) -> Result:
    """Send the requests of `kinds` from `concurrency` clients at once; each answer is checked."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for kind in kinds:
        queue.put_nowait(kind)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {'Authorization': f'Bearer {secret}'}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout, limits=limits) as client:
        result = Result(concurrency, 0.0)
        began = time.perf_counter()
        clients = asyncio.gather(*(_client(client, queue, result) for _ in range(concurrency)))
        person = asyncio.create_task(_visit_dashboard(client, result, until=clients))
        await clients
        result.seconds = time.perf_counter() - began
        await person
    return result


async def _visit_dashboard(client: httpx.AsyncClient, result: Result, *, until: asyncio.Future) -> None:
    """Open /dashboard about once a second, as a person watching it would, until the burst is over."""
    while not until.done():
        began = time.perf_counter()
        try:
            response = await client.get('/dashboard', headers={'Authorization': ''})
        except httpx.HTTPError as error:
            result.errors[f'dashboard: {type(error).__name__} {error}'] += 1
        else:
            if response.status_code >= 400:
                result.errors[f'dashboard: {response.status_code}'] += 1
            else:
                result.dashboard.append(time.perf_counter() - began)
        await asyncio.wait([until], timeout=VISIT_EVERY_S)


async def _client(client: httpx.AsyncClient, queue: asyncio.Queue, result: Result) -> None:
    while not queue.empty():
        kind = queue.get_nowait()
        began = time.perf_counter()
        try:
            response = await _send(client, kind)
        except httpx.HTTPError as error:
            result.errors[f'{kind}: {type(error).__name__} {error}'] += 1
            continue
        if response.status_code >= 400:
            result.errors[f'{kind}: {response.status_code}'] += 1
        else:
            result.latencies.append(time.perf_counter() - began)


async def _send(client: httpx.AsyncClient, kind: str) -> httpx.Response:
    if kind in READS:
        method, path = READS[kind]
        return await client.request(method, path)
    tag = uuid.uuid4().hex
    if kind == 'ingest':
        return await client.post('/api/v1/generations', json=GEN | {'external_id': tag})
    if kind == 'top-up':
        return await client.post('/api/v1/credits/top-ups', json={'amount': '5'}, headers={'Idempotency-Key': tag})
    return await client.post('/api/v1/keys', json={'name': f'bench {tag[:8]}', 'scopes': ['read']})


def prepare(url: str) -> str:
    """A fresh account with a key holding every scope (the secret is returned) in the database at `url`."""
    db.init_db(url)
    with db.session_scope() as session:
        account = create_account(session, name='Concurrency bench')
        scopes = ['inference', 'ingest', 'read', 'manage']
        return create_key(session, account, name='bench', scopes=scopes).secret


def seed(base: str, secret: str, generations: int) -> None:
    """Some history for the reads to show, through the batch endpoint."""
    headers = {'Authorization': f'Bearer {secret}'}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        for start in range(0, generations, 500):
            batch = [GEN | {'external_id': f'seed-{i}'} for i in range(start, min(start + 500, generations))]
            client.post('/api/v1/generations/batch', json={'generations': batch}).raise_for_status()


def measure(url: str, *, concurrency: int = 200, bursts: int = 5) -> Result:
    """Prepare the database at `url` (which must be empty), start the app on it and run the mixed bursts."""
    secret = prepare(url)
    total = Result(concurrency, 0.0)
    with AppProcess(url) as app:
        seed(app.base, secret, 2000)
        asyncio.run(burst(app.base, secret, mixed(40), 10))  # warm up: first pages, caches, connections
        for round_ in range(bursts):
            result = asyncio.run(burst(app.base, secret, mixed(concurrency, seed=round_), concurrency))
            total.latencies += result.latencies
            total.dashboard += result.dashboard
            total.errors += result.errors
            total.seconds += result.seconds
    db.dispose_all()
    return total


def fresh_url(backend: str, postgres: str | None = None, name: str = 'concurrency') -> str:
    """An empty database for one run: a new SQLite file in bench/out/, or a recreated PostgreSQL database."""
    if backend == 'SQLite':
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f'{name}.sqlite3'
        for suffix in ('', '-wal', '-shm'):
            Path(f'{path}{suffix}').unlink(missing_ok=True)
        return f'sqlite:///{path}'
    from sqlalchemy import create_engine, text

    server = postgres.rstrip('/')
    admin = create_engine(server + '/postgres', isolation_level='AUTOCOMMIT')
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS lowrouter_bench_{name} WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE lowrouter_bench_{name}'))
    admin.dispose()
    return f'{server}/lowrouter_bench_{name}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--concurrency', type=int, default=200, help='requests at once (200)')
    parser.add_argument('--bursts', type=int, default=5, help='bursts, one after the other (5)')
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server URL, without database name')
    parser.add_argument('--no-sqlite', action='store_true', help='measure PostgreSQL only')
    options = parser.parse_args()
    backends = ([] if options.no_sqlite else ['SQLite']) + (['PostgreSQL'] if options.postgres else [])
    missed = False
    for backend in backends:
        result = measure(fresh_url(backend, options.postgres), concurrency=options.concurrency, bursts=options.bursts)
        print(f'{backend}: {result}', flush=True)
        for error, count in result.errors.most_common():
            print(f'  {count} x {error}')
        missed = missed or not result.met
    sys.exit(3 if missed else 0)


if __name__ == '__main__':
    main()
