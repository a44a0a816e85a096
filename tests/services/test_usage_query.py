"""The usage query (services/usage/query.py) equals a direct sum over the generations, for any window, grouping
and filter: whole days read from usage_day and ragged edges from usage_hour add up to the same figures."""

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from services.models import Generation
from services.usage.query import UsageRow, first_usage, usage, usage_total
from services.usage.rollups import day_of, hour_of
from tests.services.test_rollups import NOW, _history

INTEGERS = ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros')
FLOATS = ('energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'embodied_g')
FIELD = {'key': 'key_id'}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _generations(session) -> list[Generation]:
    return list(session.exec(select(Generation)))


def _in_window(g: Generation, since, until) -> bool:
    """The rollups' rule: a generation counts where its hour starts, so [since, until) holds the hours that
    start in it."""
    hour = hour_of(_aware(g.created_at))
    return (since is None or hour >= since) and (until is None or hour < until)


def _group_value(g: Generation, group: str):
    return {
        'key': g.api_key_id or 0,
        'day': day_of(_aware(g.created_at)),
        'hour': hour_of(_aware(g.created_at)),
    }.get(group, getattr(g, group, None))


def _direct(generations, since, until, group_by=(), **filters) -> dict[tuple, dict[str, float]]:
    sums: dict[tuple, dict[str, float]] = defaultdict(lambda: dict.fromkeys(INTEGERS + FLOATS, 0))
    for g in generations:
        if not _in_window(g, since, until):
            continue
        if any(value is not None and _group_value(g, name) != value for name, value in filters.items()):
            continue
        into = sums[tuple(_group_value(g, group) for group in group_by)]
        into['requests'] += 1
        for column in INTEGERS[1:] + FLOATS:
            into[column] += getattr(g, column)
    return dict(sums)


def _assert_same(rows: list[UsageRow], expected: dict[tuple, dict[str, float]], group_by, context) -> None:
    got = {tuple(getattr(row, FIELD.get(g, g)) for g in group_by): row for row in rows}
    if not group_by and rows[0].requests == 0:
        got = {}  # no group: one row of zeros for an empty window
    assert got.keys() == expected.keys(), context
    for group, row in got.items():
        for column in INTEGERS:
            assert getattr(row, column) == expected[group][column], (context, group, column)
        for column in FLOATS:
            assert math.isclose(getattr(row, column), expected[group][column], rel_tol=1e-9, abs_tol=1e-9), (
                context,
                group,
                column,
            )
    if group_by:
        assert [tuple(getattr(r, FIELD.get(g, g)) for g in group_by) for r in rows] == sorted(got), 'ordered'


def _windows(rng: random.Random, count: int) -> list[tuple[datetime | None, datetime | None]]:
    start = NOW - timedelta(days=5)
    midnight = day_of(NOW)
    windows = [(None, None), (midnight - timedelta(days=2), midnight), (midnight - timedelta(days=3), None)]
    windows += [(None, midnight - timedelta(days=1, hours=5)), (NOW - timedelta(hours=2), NOW)]
    for _ in range(count):
        since = start + timedelta(minutes=rng.randint(0, 6 * 24 * 60))
        until = since + timedelta(minutes=rng.randint(0, 5 * 24 * 60))
        if rng.random() < 0.3:
            since = day_of(since)  # a whole day on the left edge
        if rng.random() < 0.2:
            until = day_of(until) + timedelta(days=1)
        windows.append((since, until))
    return windows


@pytest.fixture
def history(session, account):
    _history(session, account)
    return _generations(session)


def test_totals_equal_the_generations_for_random_windows(session, account, history):
    for since, until in _windows(random.Random(11), 40):
        total = usage_total(session, account.id, since=since, until=until)
        _assert_same([total], _direct(history, since, until), (), (since, until))


@pytest.mark.parametrize(
    'group_by',
    [('model',), ('provider',), ('region',), ('key',), ('methodology_version',), ('day',), ('hour',)]
    + [('model', 'key'), ('day', 'provider'), ('provider', 'region', 'methodology_version')],
)
def test_groups_equal_the_generations(session, account, history, group_by):
    for since, until in _windows(random.Random(' '.join(group_by)), 12):
        rows = usage(session, account.id, since=since, until=until, group_by=group_by)
        _assert_same(rows, _direct(history, since, until, group_by), group_by, (since, until))


def test_filters_equal_the_generations(session, account, history):
    rng = random.Random(5)
    g = history[7]
    cases = [
        {'model': g.model},
        {'key': 0},  # recorded without a key
        {'key': next(h.api_key_id for h in history if h.api_key_id)},
        {'provider': g.provider, 'region': g.region},
        {'model': g.model, 'key': g.api_key_id or 0},
        {'model': 'no/such-model'},
    ]
    for filters in cases:
        for since, until in _windows(rng, 6):
            arguments = {'key_id' if name == 'key' else name: value for name, value in filters.items()}
            rows = usage(session, account.id, since=since, until=until, group_by=('day',), **arguments)
            _assert_same(rows, _direct(history, since, until, ('day',), **filters), ('day',), (filters, since, until))


def test_an_empty_window_has_one_row_of_zeros_without_groups_and_no_rows_with_them(session, account, history):
    later = NOW + timedelta(days=30)
    assert usage(session, account.id, since=later) == [UsageRow()]
    assert usage(session, account.id, since=later, group_by=('model',)) == []
    assert usage_total(session, account.id, since=NOW, until=NOW) == UsageRow()


def test_the_first_usage_and_an_unknown_group(session, account, history):
    assert first_usage(session, account.id) == min(hour_of(_aware(g.created_at)) for g in history)
    with pytest.raises(ValueError, match='weekday'):
        usage(session, account.id, group_by=('weekday',))
