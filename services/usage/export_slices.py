"""Large CSV exports read and written by helper processes, a slice of time each, sent in order.

One process reads and formats about 70 000 rows a second, most of it Python receiving and writing the
values of each row; the database and the formatting leave the other cores idle. So an export of more than
two slices is cut at hour boundaries into slices of about `SLICE_ROWS` rows, counted in the hourly
rollups (never in the generations). Each slice is read by one of a few long-lived helper processes
(`python -m services.usage.export_worker`), with the same queries and the same writer as an export in
the app's own process, so the text is the same to the byte. At most `workers + 1` slices are in flight or
waiting: the memory an export takes is bounded whatever its size. A slice that holds more rows than
expected (say a burst within one second) comes back a part at a time, each part starting from the keyset
where the one before ended, so no row is skipped or sent twice.

The helpers are started by the first large export and end after HELPER_IDLE_SECONDS without a task, or when
the app's end of their pipe closes: none outlives the app.
"""

from __future__ import annotations

import atexit
import json
import math
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from services import db
from services.config import get_settings
from services.models import UsageHour
from services.timeutil import as_utc
from services.usage.generations import GenerationFilter

SLICE_PAGES = 4  # pages of PAGE_ROWS (3 000) rows a helper reads per task: about 5 MB of text
SLICE_ROWS = 12_000  # rows of a planned slice; an export of fewer than two slices is read in the app's process
HELPER_IDLE_SECONDS = 300  # a helper ends after this long without a task (its memory is then given back)
HOUR = timedelta(hours=1)
_ROOT = Path(__file__).resolve().parents[2]  # the project: the helpers import its packages from there


class ExportWorkerError(RuntimeError):
    """A helper process failed or died: the export ends there, as it would on a database error."""


class _Gone(Exception):
    """The helper had ended before it read the task."""


@dataclass(frozen=True)
class Plan:
    url: str
    slices: list[GenerationFilter]  # newest first; together exactly the rows of the export's filter


def worker_count() -> int:
    configured = get_settings().export_workers
    if configured is not None:
        return configured
    return 2 if (os.cpu_count() or 1) >= 2 else 0


def plan(account_id: int, f: GenerationFilter) -> Plan | None:
    """How to read this export in slices, or None to read it in this process (a small export, no helper
    processes, or an in-memory database that other processes cannot open)."""
    url = db.current_url()
    if worker_count() == 0 or ':memory:' in url or url in ('sqlite://', 'sqlite:///'):
        return None
    hours, slice_rows = _hourly_counts(account_id, f), SLICE_ROWS
    if sum(count for _, count in hours) < 2 * slice_rows:
        return None
    cuts = [cut for cut in _cuts(hours, slice_rows) if _inside(cut, f)]
    if not cuts:
        return None
    ends = [f.until, *cuts]
    starts = [*cuts, f.since]
    return Plan(url, [replace(f, since=since, until=until) for since, until in zip(starts, ends, strict=True)])


def texts(parallel: Plan, account_id: int, zone: str, page_rows: int) -> Iterator[str]:
    """The lines of every slice, in order, read in pages of `page_rows` rows as the app reads them; the helpers
    read the next slices meanwhile."""
    workers = _pool()
    window = max(2, workers.count + 1)
    waiting: deque[tuple[GenerationFilter, Future]] = deque()
    todo = iter(parallel.slices)

    def task(f: GenerationFilter, after) -> Future:
        return workers.submit(_task(parallel.url, account_id, zone, f, after, page_rows))

    try:
        while True:
            while len(waiting) < window and (f := next(todo, None)) is not None:
                waiting.append((f, task(f, None)))
            if not waiting:
                return
            f, made = waiting.popleft()
            text, rows, after = made.result()
            if after is not None:  # more rows in this slice than planned: go on from where it ended, first
                waiting.appendleft((f, task(f, after)))
            del made
            if rows:
                yield text
            del text
    finally:  # done, failed, or the reader has gone: drop what was asked and not begun
        for _, made in waiting:
            made.cancel()


def _task(url: str, account_id: int, zone: str, f: GenerationFilter, after, page_rows: int) -> dict:
    return {
        'url': url,
        'account_id': account_id,
        'zone': zone,
        'filter': {
            'model': f.model,
            'provider': f.provider,
            'region': f.region,
            'key_id': f.key_id,
            'status': f.status,
            'since': f.since.isoformat() if f.since else None,
            'until': f.until.isoformat() if f.until else None,
        },
        'after': after,
        'pages': SLICE_PAGES,
        'page_rows': page_rows,
    }


def _hourly_counts(account_id: int, f: GenerationFilter) -> list[tuple[datetime, int]]:
    """(UTC hour, generations) of the rollups in the export's range and filters, newest first."""
    h = UsageHour
    query = select(h.hour, func.sum(h.requests)).where(h.account_id == account_id)
    for column, value in ((h.model, f.model), (h.provider, f.provider), (h.region, f.region), (h.status, f.status)):
        if value is not None:
            query = query.where(column == value)
    if f.key_id is not None:
        query = query.where(h.api_key_id == f.key_id)
    if f.since is not None:
        query = query.where(h.hour >= as_utc(f.since).replace(minute=0, second=0, microsecond=0))
    if f.until is not None:
        query = query.where(h.hour < f.until)
    with db.read_scope() as session:
        rows = session.exec(query.group_by(h.hour).order_by(h.hour.desc())).all()
    return [(as_utc(hour), int(count or 0)) for hour, count in rows]


def _cuts(hours: list[tuple[datetime, int]], slice_rows: int) -> list[datetime]:
    """Moments, newest first, that cut these hourly counts into slices of about `slice_rows` rows: at hour
    boundaries, and within an hour that holds more than a slice."""
    cuts: list[datetime] = []
    gathered = 0  # rows counted since the last cut
    for hour, count in hours:
        end = hour + HOUR
        if gathered and gathered + count > slice_rows:
            cuts.append(end)
            gathered = 0
        if count > slice_rows:
            parts = math.ceil(count / slice_rows)
            cuts.extend(end - HOUR * part / parts for part in range(1, parts))
            gathered = count // parts
        else:
            gathered += count
    return sorted(set(cuts), reverse=True)


def _inside(moment: datetime, f: GenerationFilter) -> bool:
    return (f.since is None or moment > as_utc(f.since)) and (f.until is None or moment < as_utc(f.until))


class _Workers:
    """`count` helper processes, each owned by one thread of a pool: a task goes to the next free one."""

    def __init__(self, count: int):
        self.count = count
        self.threads = ThreadPoolExecutor(count, thread_name_prefix='csv-helper')
        self.own = threading.local()
        self.started: list[subprocess.Popen] = []
        self.lock = threading.Lock()

    def submit(self, task: dict) -> Future:
        return self.threads.submit(self._run, task)

    def _run(self, task: dict) -> tuple[str, int, list | None]:
        try:
            return self._ask(task)
        except _Gone:  # it had ended on its own (idle) as the task came: a new one reads it (a read is repeatable)
            try:
                return self._ask(task)
            except _Gone as error:
                raise ExportWorkerError('an export helper process ended unexpectedly') from error

    def _ask(self, task: dict) -> tuple[str, int, list | None]:
        helper = getattr(self.own, 'helper', None)
        if helper is None or helper.poll() is not None:
            helper = self.own.helper = self._start()
        try:
            try:
                helper.stdin.write(json.dumps(task).encode() + b'\n')
                helper.stdin.flush()
                head = helper.stdout.readline()
            except BrokenPipeError as error:
                raise _Gone from error
            if not head:
                raise _Gone
            answer = json.loads(head)
            if 'error' in answer:
                raise ExportWorkerError(answer['error'])
            data = helper.stdout.read(answer['bytes'])
            if len(data) != answer['bytes']:
                raise ExportWorkerError('an export helper process ended in the middle of its answer')
        except (_Gone, OSError, ValueError) as error:
            self.own.helper = None
            helper.kill()
            if isinstance(error, _Gone):
                raise
            raise ExportWorkerError(f'an export helper process failed: {error}') from error
        return data.decode('utf-8'), answer['rows'], answer['after']

    def _start(self) -> subprocess.Popen:
        helper = subprocess.Popen(
            [sys.executable, '-m', 'services.usage.export_worker', str(HELPER_IDLE_SECONDS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=_ROOT,
            env=os.environ | {'PYTHONPATH': os.pathsep.join(filter(None, [str(_ROOT), os.environ.get('PYTHONPATH')]))},
        )
        with self.lock:  # those that have ended (idle) are forgotten
            self.started = [h for h in self.started if h.poll() is None] + [helper]
        return helper

    def close(self) -> None:
        with self.lock:
            helpers, self.started = self.started, []
        for helper in helpers:
            try:
                helper.stdin.close()  # the helper's end of input: it exits
                helper.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                helper.kill()
        self.threads.shutdown(wait=False, cancel_futures=True)


_workers: _Workers | None = None
_workers_lock = threading.Lock()


def _pool() -> _Workers:
    global _workers
    with _workers_lock:
        if _workers is None or _workers.count != max(1, worker_count()):
            if _workers is not None:
                _workers.close()
            _workers = _Workers(max(1, worker_count()))
            atexit.register(_workers.close)
        return _workers


def shutdown() -> None:
    """End the helper processes (they start again with the next large export)."""
    global _workers
    with _workers_lock:
        if _workers is not None:
            _workers.close()
            _workers = None
