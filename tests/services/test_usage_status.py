"""The usage rollups split by a generation's status (completed, failed, cancelled): written with the generations,
rebuilt the same from them, and summed, grouped and filtered by status through the usage query; the listing and
the CSV export of generations filter by status too."""

import csv
import io
import random
from datetime import timedelta

import pytest
from sqlmodel import select

from services.catalog import get_catalog
from services.models import Generation, UsageDay, UsageHour
from services.usage.exports import generations_csv
from services.usage.generations import GenerationFilter, page
from services.usage.query import STATUSES, usage, usage_total
from services.usage.report import usage_grouped
from services.usage.rollups import RAW_COLUMNS, USAGE, move_in_rollups, rebuild_rollups
from tests.services.test_rollups import NOW, _history, _snapshot
from tests.services.test_usage_query import _assert_same, _direct, _generations, _windows
from tests.support import factories


def _mixed_history(session, account) -> list[Generation]:
    """The rollup tests' history (completed, some failed) and cancelled generations among them."""
    _history(session, account)
    rng = random.Random(29)
    keys = sorted({g.api_key_id for g in _generations(session)}, key=lambda k: k or 0)
    payloads = []
    for _ in range(60):
        offer = rng.choice(get_catalog().offers)
        payloads.append(
            {
                'model': offer.model,
                'provider': offer.provider,
                'region': offer.region,
                'prompt_tokens': rng.randint(1, 3000),
                'completion_tokens': rng.randint(0, 500),
                'status': rng.choice(['cancelled', 'cancelled', 'failed']),
                'created_at': NOW - timedelta(minutes=rng.randint(0, 4 * 24 * 60)),
                'api_key_id': rng.choice(keys),
            }
        )
    factories.generations(account, payloads, session=session)
    session.commit()
    return _generations(session)


@pytest.fixture
def history(session, account):
    return _mixed_history(session, account)


def test_every_status_has_its_own_buckets_and_they_add_up_to_the_generations(session, account, history):
    for table in (UsageHour, UsageDay):
        buckets = session.exec(select(table)).all()
        for status in STATUSES:
            mine = [g for g in history if g.status == status]
            theirs = [b for b in buckets if b.status == status]
            assert sum(b.requests for b in theirs) == len(mine) > 0, (table, status)
            assert sum(b.cost_micros for b in theirs) == sum(g.cost_micros for g in mine), (table, status)
            assert sum(b.prompt_tokens for b in theirs) == sum(g.prompt_tokens for g in mine), (table, status)


def test_rebuild_reproduces_the_rollups_split_by_status(session, account, history):
    before = _snapshot(session)
    assert {row[USAGE.bucket.index('status')] for row in before['usage_hour']} == set(STATUSES)
    assert rebuild_rollups(session, account.id) == len(history)
    session.commit()
    assert _snapshot(session) == before


def test_a_move_keeps_each_generation_under_its_status(session, account, history):
    """What eco recomputation does: generations change methodology; they stay in their status's buckets."""
    columns = ('id', *RAW_COLUMNS)
    moved = [g for g in history if g.status != 'completed'][:10]
    old = [{c: getattr(g, c) for c in columns} for g in moved]
    new = [row | {'methodology_version': 'eco-test', 'energy_wh': row['energy_wh'] * 2} for row in old]
    move_in_rollups(session, old, new)
    for g, row in zip(moved, new, strict=True):
        g.methodology_version, g.energy_wh = row['methodology_version'], row['energy_wh']
        session.add(g)
    session.commit()
    after = _snapshot(session)
    hours = session.exec(select(UsageHour).where(UsageHour.methodology_version == 'eco-test')).all()
    assert sum(b.requests for b in hours) == 10 and {b.status for b in hours} <= {'failed', 'cancelled'}
    rebuild_rollups(session, account.id)
    session.commit()
    assert _snapshot(session) == after


@pytest.mark.parametrize('group_by', [('status',), ('hour', 'status'), ('day', 'status'), ('model', 'status')])
def test_grouping_by_status_equals_the_generations(session, account, history, group_by):
    for since, until in _windows(random.Random(' '.join(group_by)), 10):
        rows = usage(session, account.id, since=since, until=until, group_by=group_by)
        _assert_same(rows, _direct(history, since, until, group_by), group_by, (since, until))


def test_filtering_by_status_equals_the_generations(session, account, history):
    rng = random.Random(41)
    g = next(h for h in history if h.status == 'cancelled')
    cases = [{'status': s} for s in STATUSES] + [
        {'status': 'cancelled', 'model': g.model},
        {'status': 'failed', 'provider': g.provider, 'region': g.region},
        {'status': 'completed', 'key': g.api_key_id or 0},
    ]
    for filters in cases:
        for since, until in _windows(rng, 5):
            arguments = {'key_id' if name == 'key' else name: value for name, value in filters.items()}
            rows = usage(session, account.id, since=since, until=until, group_by=('hour',), **arguments)
            _assert_same(rows, _direct(history, since, until, ('hour',), **filters), ('hour',), (filters, since))
            total = usage_total(session, account.id, since=since, until=until, **arguments)
            _assert_same([total], _direct(history, since, until, **filters), (), (filters, since, until))


def test_the_statuses_add_up_to_the_total_and_an_unknown_status_is_refused(session, account, history):
    total = usage_total(session, account.id)
    parts = [usage_total(session, account.id, status=s) for s in STATUSES]
    assert sum(p.requests for p in parts) == total.requests == len(history)
    assert sum(p.cost_micros for p in parts) == total.cost_micros
    with pytest.raises(ValueError, match='paused'):
        usage(session, account.id, status='paused')


def test_the_api_report_groups_and_filters_by_status(session, account, history):
    rows = usage_grouped(session, account, 'status')
    assert {r['group']: r['requests'] for r in rows} == {s: sum(1 for g in history if g.status == s) for s in STATUSES}
    failed = [g for g in history if g.status == 'failed']
    provider = failed[0].provider
    rows = usage_grouped(session, account, 'provider', status='failed', provider=provider)
    assert [(r['group'], r['requests']) for r in rows] == [(provider, sum(1 for g in failed if g.provider == provider))]
    assert usage_grouped(session, account, 'model', status='cancelled', region='nowhere') == []


def test_listing_and_exporting_generations_filter_by_status(session, account, history):
    for status in STATUSES:
        expected = sorted(g.id for g in history if g.status == status)
        rows, cursor = page(session, account.id, GenerationFilter(status=status), limit=1000)
        assert cursor is None and sorted(g.id for g in rows) == expected
        lines = list(csv.DictReader(io.StringIO(''.join(generations_csv(account, GenerationFilter(status=status))))))
        assert sorted(line['id'] for line in lines) == expected
        assert {line['status'] for line in lines} == {status}
    g = next(h for h in history if h.status == 'failed')
    both = GenerationFilter(status='failed', model=g.model)
    rows, _ = page(session, account.id, both, limit=1000)
    assert sorted(r.id for r in rows) == sorted(h.id for h in history if h.status == 'failed' and h.model == g.model)
