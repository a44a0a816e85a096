"""The load of bench/live.py: batches of generations posted at a steady rate (open loop), the newest of each
marked so that its display can be timed; and the app's CPU meanwhile."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bench import figures
from bench.processes import cpu_seconds, others_cpu_seconds
from bench.server import AppProcess

OLDER_S = 10.0  # the unmarked generations of a batch are this much older than the marked one


@dataclass
class Sent:
    marked: str  # the id of the batch's marked generation
    sent: float  # time.time() when the request left
    answered: float  # time.time() when the answer was read


@dataclass
class Pacing:
    seconds: float = 0.0
    cpu: float = 0.0  # cores the app process used meanwhile
    browser_cpu: float = 0.0  # cores of every process this one started but the app: the browser and its driver
    load: float = 0.0  # the machine's 1-minute load average at the end (other programs count too)
    batches: list[Sent] = field(default_factory=list)
    errors: Counter = field(default_factory=Counter)


def pace(app: AppProcess, secret: str, *, rate: int, seconds: float, batch: int) -> Pacing:
    """Post `rate` generations a second in batches of `batch`, each at its planned moment (open loop, up to 16
    requests in flight), for `seconds`; the app's CPU from the first send to the last answer."""
    pacing, interval, count = Pacing(), batch / rate, round(seconds * rate / batch)
    local, lock, clients = threading.local(), threading.Lock(), []

    def send() -> None:
        if not hasattr(local, 'client'):
            local.client = httpx.Client(base_url=app.base, timeout=60, headers={'Authorization': f'Bearer {secret}'})
            with lock:
                clients.append(local.client)
        items = [figures._generation() | {'external_id': f'live-{uuid.uuid4().hex}'} for _ in range(batch)]
        now = time.time()
        older = datetime.fromtimestamp(now - OLDER_S, UTC).isoformat()
        for item in items:
            item['created_at'] = older
        items[-1]['created_at'] = datetime.fromtimestamp(now, UTC).isoformat()  # the marked one: the newest
        try:
            response = local.client.post('/api/v1/generations/batch', json={'generations': items})
        except httpx.HTTPError as error:
            with lock:
                pacing.errors[type(error).__name__] += 1
            return
        answered = time.time()
        with lock:
            if response.status_code == 201:
                pacing.batches.append(Sent(response.json()['items'][-1]['id'], now, answered))
            else:
                pacing.errors[str(response.status_code)] += 1

    cpu, browser_cpu = cpu_seconds(app.process.pid), others_cpu_seconds(app)
    began = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        for index in range(count):
            time.sleep(max(0.0, began + index * interval - time.monotonic()))
            pool.submit(send)
    pacing.seconds = time.monotonic() - began
    for client in clients:
        client.close()
    pacing.cpu = (cpu_seconds(app.process.pid) - cpu) / pacing.seconds
    pacing.load = os.getloadavg()[0]
    pacing.browser_cpu = (others_cpu_seconds(app) - browser_cpu) / pacing.seconds
    return pacing
