"""A burst of concurrent clients against a real `python app.py`: no errors, no freeze, pages still answer.

41 concurrent reads used to freeze the API and the dashboard for half a minute (every read took the
writer lock; requests held all worker threads while the holder needed one) and most of them got a 500.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest

from bench.concurrency import burst
from tests.support.live_app import live_app

READS = 60
WRITES = ['ingest', 'top-up', 'create key'] * 4


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp('burst')) as live:
        yield live


def test_a_burst_of_reads_and_writes_has_no_errors_and_the_dashboard_answers_meanwhile(live):
    secret = live.headers['Authorization'].removeprefix('Bearer ')
    kinds = ['credits'] * READS + WRITES
    pages: list[tuple[int, float]] = []
    running = threading.Event()

    def visit_dashboard() -> None:  # a person opening the dashboard while the burst runs
        running.wait()
        while running.is_set():
            began = time.perf_counter()
            status = httpx.get(f'{live.base}/dashboard', timeout=30).status_code
            pages.append((status, time.perf_counter() - began))

    visitor = threading.Thread(target=visit_dashboard)
    visitor.start()

    async def run():
        running.set()
        try:
            return await burst(live.base, secret, kinds, concurrency=len(kinds), timeout=30)
        finally:
            running.clear()

    result = asyncio.run(run())
    visitor.join()
    assert dict(result.errors) == {}
    assert len(result.latencies) == len(kinds)
    assert pages and all(status == 200 for status, _ in pages)
    assert max(seconds for _, seconds in pages) < 15  # slower under load, never frozen
    assert max(result.latencies) < 15
    with httpx.Client(base_url=live.base, headers=live.headers) as client:  # every write of the burst is there
        assert len(client.get('/api/v1/keys').json()['items']) == 1 + WRITES.count('create key')
        assert len(client.get('/api/v1/receipts').json()['items']) == WRITES.count('top-up')
        assert len(client.get('/api/v1/generations').json()['items']) == WRITES.count('ingest')
