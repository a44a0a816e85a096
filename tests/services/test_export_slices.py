"""Large CSV exports read by helper processes, a slice of time each (services/usage/export_slices.py): the text
is the one the app's own process writes, to the byte, for any filter, zone and cut."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlmodel import select

from bench.fill import fill
from services import db
from services.models import Account, Generation
from services.usage import export_slices, exports
from services.usage.export_slices import HOUR, ExportWorkerError, Plan, _cuts
from services.usage.generations import GenerationFilter

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
FILLED = 2500


@pytest.fixture
def filled(database_url, monkeypatch):
    """A database of FILLED generations over about 60 days (the benchmark's fill, rollups included), cut into
    slices of 150 rows read by two helpers in tasks of two pages of 40 rows."""
    fill(database_url, FILLED, seed=3, now=NOW, quiet=True)
    db.init_db(database_url)
    monkeypatch.setattr(exports, 'PAGE_ROWS', 40)
    monkeypatch.setattr(export_slices, 'SLICE_ROWS', 150)
    monkeypatch.setattr(export_slices, 'SLICE_PAGES', 2)
    monkeypatch.setattr(export_slices, 'worker_count', lambda: 2)
    with db.read_scope() as session:
        return session.exec(select(Account)).one()


def _serial(account: Account, f: GenerationFilter, monkeypatch) -> str:
    with monkeypatch.context() as m:
        m.setattr(export_slices, 'plan', lambda *_: None)
        return ''.join(exports.generations_csv(account, f))


def _sliced(account: Account, f: GenerationFilter) -> tuple[str, Plan]:
    parallel = export_slices.plan(account.id, f)
    assert parallel is not None and len(parallel.slices) > 2, f
    return ''.join(exports.generations_csv(account, f)), parallel


def test_a_sliced_export_is_the_same_text_as_one_read_in_the_app(filled, monkeypatch):
    account = filled
    text, parallel = _sliced(account, GenerationFilter())
    assert text == _serial(account, GenerationFilter(), monkeypatch)
    assert text.count('\r\n') == FILLED + 1  # the header and every generation, once
    ids = [line.split(',', 1)[0] for line in text.splitlines()[1:]]
    assert len(set(ids)) == FILLED
    # the slices follow each other, newest first, and together cover everything
    assert parallel.slices[0].until is None and parallel.slices[-1].since is None
    for newer, older in zip(parallel.slices, parallel.slices[1:], strict=False):
        assert newer.since == older.until


@pytest.mark.parametrize('zone', ['Asia/Kolkata', 'America/St_Johns', 'UTC'])
def test_filters_ranges_and_zones_cut_the_same_way(filled, monkeypatch, zone):
    account = filled
    account.timezone = zone
    with db.read_scope() as session:
        model, key_id = session.exec(select(Generation.model, Generation.api_key_id).limit(1)).one()
    # mid-hour and mid-second bounds: the rollups count whole hours, the slices must still cut exactly
    since, until = NOW - timedelta(days=41, minutes=17, microseconds=3), NOW - timedelta(days=3, seconds=59)
    for f in (
        GenerationFilter(since=since, until=until),
        GenerationFilter(model=model),
        GenerationFilter(key_id=key_id, since=since),
        GenerationFilter(status='completed', until=until),
    ):
        expected = _serial(account, f, monkeypatch)
        if expected.count('\r\n') < 2 * export_slices.SLICE_ROWS + 1:
            assert export_slices.plan(account.id, f) is None  # too small to share out
            continue
        text, _ = _sliced(account, f)
        assert text == expected, f


def test_a_slice_fuller_than_planned_comes_back_a_part_at_a_time(filled, monkeypatch):
    """Rows the rollups did not foresee (here: added without them, all in one second) are read on from the
    keyset where the part before ended: none is skipped or sent twice."""
    account = filled
    moment = NOW - timedelta(days=10, minutes=30)
    with db.session_scope() as session:
        template = session.exec(select(Generation).limit(1)).one().model_dump()
        rows = [template | {'id': f'gen-burst-{i:05d}', 'created_at': moment} for i in range(333)]
        session.execute(insert(Generation), rows)
    parallel = export_slices.plan(account.id, GenerationFilter())
    burst = [s for s in parallel.slices if (s.since or moment) <= moment < (s.until or NOW + HOUR)]
    assert len(burst) == 1  # one slice holds the whole burst: far more than its 2 pages of 40 rows
    text = ''.join(export_slices.texts(parallel, account.id, account.timezone, exports.PAGE_ROWS))
    header = ','.join(exports.COLUMNS) + '\r\n'
    assert header + text == _serial(account, GenerationFilter(), monkeypatch)
    assert text.count('gen-burst-') == 333


def test_cuts_fall_on_hours_and_split_an_hour_holding_more_than_a_slice():
    hour = datetime(2026, 3, 29, 0, tzinfo=UTC)
    hours = [(hour + HOUR * 5, 40), (hour + HOUR * 4, 40), (hour + HOUR * 3, 30), (hour + HOUR * 2, 350), (hour, 90)]
    cuts = _cuts(hours, 100)
    assert cuts == [
        hour + HOUR * 4,  # 40 + 40 + 30 would pass 100: the first slice is hours 5 and 4
        hour + HOUR * 3,  # 30 + 350 would pass 100
        hour + HOUR * 2 + HOUR * 3 / 4,  # 350 rows in one hour: four parts of about 88
        hour + HOUR * 2 + HOUR * 2 / 4,
        hour + HOUR * 2 + HOUR / 4,
        hour + HOUR,  # 87 + 90 would pass 100
    ]
    assert _cuts([(hour, 99)], 100) == [] and _cuts([], 100) == []


def test_small_exports_and_in_memory_databases_stay_in_the_app(filled, monkeypatch):
    account = filled
    assert export_slices.plan(account.id, GenerationFilter(model='nobody/none')) is None
    monkeypatch.setattr(export_slices, 'worker_count', lambda: 0)  # LOWROUTER_EXPORT_WORKERS=0
    assert export_slices.plan(account.id, GenerationFilter()) is None


def test_a_failing_helper_ends_the_export_with_an_error_and_the_next_export_works(filled, monkeypatch):
    account = filled
    broken = Plan('sqlite:////nonexistent-folder/none.sqlite3', [GenerationFilter()])
    with pytest.raises(ExportWorkerError, match='unable to open'):
        list(export_slices.texts(broken, account.id, account.timezone, exports.PAGE_ROWS))
    text, _ = _sliced(account, GenerationFilter())
    assert text.count('\r\n') == FILLED + 1


def test_an_export_left_early_stops_and_the_helpers_end_with_the_app(filled):
    account = filled
    chunks = exports.generations_csv(account, GenerationFilter())
    next(chunks), next(chunks)
    chunks.close()  # the client has gone: what was asked and not begun is dropped
    helpers = list(export_slices._pool().started)  # those that have ended on their own are not kept
    assert helpers and all(h.poll() is None for h in helpers)
    export_slices.shutdown()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(h.poll() is None for h in helpers):
        time.sleep(0.05)
    assert all(h.poll() is not None for h in helpers), [h.pid for h in helpers]
    assert all(isinstance(h, subprocess.Popen) for h in helpers)


def test_an_idle_helper_ends_and_the_next_export_starts_another(filled, monkeypatch):
    account = filled
    export_slices.shutdown()
    monkeypatch.setattr(export_slices, 'HELPER_IDLE_SECONDS', 0.3)
    text, _ = _sliced(account, GenerationFilter())
    helpers = list(export_slices._pool().started)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(h.poll() is None for h in helpers):
        time.sleep(0.05)
    assert all(h.returncode == 0 for h in helpers)  # ended on their own, cleanly
    monkeypatch.setattr(export_slices, 'HELPER_IDLE_SECONDS', 300)
    assert _sliced(account, GenerationFilter())[0] == text
    now = export_slices._pool().started
    assert now and all(h.poll() is None for h in now) and not set(now) & set(helpers)  # the ended are forgotten
    export_slices.shutdown()
