"""The measurements, each against a running app process (bench.server.AppProcess)."""

from __future__ import annotations

import random
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func
from sqlmodel import select

from bench.server import AppProcess
from services import db
from services.account.accounts import current_account
from services.catalog import get_catalog
from services.keys.api_keys import create_key
from services.models import Generation
from services.usage.query import usage


@dataclass
class Timing:
    median_ms: float
    p95_ms: float

    def __str__(self) -> str:
        return f'median {self.median_ms:.1f} ms, p95 {self.p95_ms:.1f} ms'


def timed_gets(app: AppProcess, paths: list[str], *, expect: str, warm_up: int = 3) -> Timing:
    """Wall time of whole-page GETs on loopback (the server's time plus a loopback round trip)."""
    with httpx.Client(base_url=app.base, timeout=60) as client:
        for path in paths[:warm_up]:
            client.get(path)
        times = []
        for path in paths:
            began = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200 and expect in response.text, (path, response.status_code)
    return _timing(times)


def sample_ids(count: int, seed: int = 1) -> list[str]:
    """Generation ids spread over the whole history, found through the (account, created_at) index."""
    rng = random.Random(seed)
    with db.read_scope() as session:
        account = current_account(session)
        first, last = session.exec(
            select(func.min(Generation.created_at), func.max(Generation.created_at)).where(
                Generation.account_id == account.id
            )
        ).one()
        ids = []
        for _ in range(count):
            moment = first + (last - first) * rng.random()
            ids.append(
                session.exec(
                    select(Generation.id)
                    .where(Generation.account_id == account.id, Generation.created_at >= moment)
                    .order_by(Generation.created_at)
                    .limit(1)
                ).one()
            )
    return ids


def bench_key() -> str:
    """A fresh API key that may ingest and read, created through the keys service."""
    with db.session_scope() as session:
        account = current_account(session)
        return create_key(session, account, name=f'bench {uuid.uuid4().hex[:6]}', scopes=['ingest', 'read']).secret


def ingest_rate(app: AppProcess, secret: str, *, batches: int, batch_size: int = 500, clients: int = 2) -> float:
    """Generations per second through POST /api/v1/generations/batch."""
    bodies = [{'generations': [_generation() for _ in range(batch_size)]} for _ in range(batches)]
    elapsed = _run_concurrently(app, secret, '/api/v1/generations/batch', bodies, clients)
    return batches * batch_size / elapsed


def single_rate(app: AppProcess, secret: str, *, requests: int, clients: int = 4) -> float:
    """Requests per second through POST /api/v1/generations, one generation each."""
    bodies = [_generation() for _ in range(requests)]
    return requests / _run_concurrently(app, secret, '/api/v1/generations', bodies, clients)


def csv_export(
    app: AppProcess, secret: str, since: datetime, expected_rows: int, *, model: str | None = None
) -> tuple[float, float]:
    """Rows per second of GET /api/v1/generations.csv?from=since (&model=), and the server's peak RSS growth
    in MB."""
    baseline = app.memory_kib()
    peak = [baseline]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], app.memory_kib())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    lines = 0
    began = time.perf_counter()
    try:
        headers = {'Authorization': f'Bearer {secret}'}
        params = {'from': since.isoformat()} | ({'model': model} if model else {})
        with (
            httpx.Client(base_url=app.base, timeout=300) as client,
            client.stream('GET', '/api/v1/generations.csv', params=params, headers=headers) as response,
        ):
            assert response.status_code == 200, response.read()[:500]
            for chunk in response.iter_bytes(1 << 20):
                lines += chunk.count(b'\n')
        elapsed = time.perf_counter() - began
    finally:
        done.set()
        sampler.join()
    rows = lines - 1  # the header
    assert rows == expected_rows, (rows, expected_rows)
    return rows / elapsed, (peak[0] - baseline) / 1024


def newest_rows_since(rows: int, *, model: str | None = None) -> tuple[datetime, int]:
    """The moment from which the newest `rows` generations (of `model`, if given) start, and how many there
    are from it."""
    with db.read_scope() as session:
        account = current_account(session)
        wanted = [Generation.account_id == account.id] + ([Generation.model == model] if model else [])
        newest = select(Generation.created_at).where(*wanted).order_by(Generation.created_at.desc())
        since = session.exec(newest.offset(rows - 1).limit(1)).first()
        if since is None:
            since = session.exec(newest.order_by(None).order_by(Generation.created_at).limit(1)).one()
        counted = select(func.count()).select_from(Generation).where(*wanted, Generation.created_at >= since)
        count = session.exec(counted).one()
    return since, count


def busiest_model() -> str:
    """The model with the most generations in the last 30 days (from the rollups)."""
    with db.read_scope() as session:
        account = current_account(session)
        since = datetime.now(UTC) - timedelta(days=30)
        rows = usage(session, account.id, since=since, group_by=('model',))
    return max(rows, key=lambda row: row.requests).model


def _run_concurrently(app: AppProcess, secret: str, path: str, bodies: list, clients: int) -> float:
    headers = {'Authorization': f'Bearer {secret}'}
    local = threading.local()

    def post(body) -> None:
        if not hasattr(local, 'client'):
            local.client = httpx.Client(base_url=app.base, timeout=60, headers=headers)
        response = local.client.post(path, json=body)
        assert response.status_code == 201, response.text[:500]

    _warm(post, bodies[:clients])
    began = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, bodies[clients:]))
    return (time.perf_counter() - began) * len(bodies) / max(1, len(bodies) - clients)


def _warm(post: Callable, bodies: list) -> None:
    for body in bodies:
        post(body)


MODELS = ('openai/gpt-4o-mini', 'anthropic/claude-haiku-4-5', 'mistral/mistral-small', 'google/gemini-2.5-flash')


def _generation() -> dict:
    """What an outside router reports: model, tokens, latency and its own id; no content, no trace."""
    catalog = get_catalog()
    model = random.choice([m for m in MODELS if m in catalog.models])
    return {
        'model': model,
        'prompt_tokens': random.randint(100, 4000),
        'completion_tokens': random.randint(10, 1500),
        'latency_ms': random.randint(200, 9000),
        'created_at': datetime.now(UTC).isoformat(),
        'external_id': f'bench-{uuid.uuid4().hex}',
    }


def _timing(times: list[float]) -> Timing:
    ordered = sorted(times)
    return Timing(statistics.median(ordered), ordered[round(0.95 * (len(ordered) - 1))])
