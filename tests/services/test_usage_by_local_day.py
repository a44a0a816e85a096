"""The usage per local day (services/usage/query.py `usage_by_local_day`) equals the hourly usage added up per
local day of each hour's start, in zones of whole, half and three-quarter hour offsets and across daylight-saving
changes, for every group and under filters; `usage_by_hour` equals the hourly usage."""

import math
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.catalog import get_catalog
from services.usage.local_days import LOCAL_DAY_COLUMNS, usage_by_hour, usage_by_local_day, usage_sums
from services.usage.query import COUNTS, usage
from tests.support import factories

# 4 Oct 2026: Lord Howe goes from +10:30 to +11; 25 Oct: Europe ends summer time; 1 Nov: the United States do
ZONES = ('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Asia/Kathmandu', 'Australia/Lord_Howe')
FIRST, LAST = date(2026, 9, 28), date(2026, 11, 6)  # local days, both included
GROUPS = (None, 'model', 'provider', 'region', 'key', 'status')
FIELD = {'key': 'key_id'}
INTEGERS = (*COUNTS, 'tokens')


def _midnight(day: date, zone: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _seed(session, zone: str, seed: int):
    account = factories.account(session=session, timezone=zone)
    keys = [factories.api_key(account, session=session, name=f'key {n}').key.id for n in range(2)]
    offers = [o for o in get_catalog().offers if o.model in {'openai/gpt-4o-mini', 'mistral/mistral-small'}]
    offers += get_catalog().offers[:3]
    rng = random.Random(seed)
    start = _midnight(FIRST, zone) - timedelta(hours=30)
    span = (_midnight(LAST, zone) + timedelta(hours=30) - start).total_seconds()
    payloads = []
    for n in range(360):
        if n % 2:  # half of them near the end or start of a UTC day, where local days are cut
            day = start.date() + timedelta(days=rng.randrange(int(span // 86400)))
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=rng.randrange(-420, 420))
        else:
            moment = start + timedelta(seconds=rng.randrange(int(span)))
        offer = rng.choice(offers)
        payloads.append(
            {
                'model': offer.model,
                'provider': offer.provider,
                'region': offer.region,
                'created_at': moment,
                'prompt_tokens': rng.randrange(1, 5000),
                'completion_tokens': rng.randrange(0, 2000),
                'status': rng.choice(('completed', 'completed', 'failed', 'cancelled')),
                'api_key_id': rng.choice([None, *keys]),
            }
        )
    factories.generations(account, payloads, session=session)
    session.commit()
    return account, keys, offers


def _reference(session, account, since, until, group, filters) -> dict:
    """The hourly usage added up per local day of each hour's start."""
    zone = ZoneInfo(account.timezone)
    found: dict = {}
    for row in usage(
        session, account.id, since=since, until=until, group_by=('hour', *([group] if group else [])), **filters
    ):
        key = (row.hour.astimezone(zone).date(), getattr(row, FIELD.get(group, group)) if group else None)
        into = found.setdefault(key, dict.fromkeys(LOCAL_DAY_COLUMNS, 0))
        for column in LOCAL_DAY_COLUMNS:
            into[column] += row.tokens if column == 'tokens' else getattr(row, column)
    return found


def _assert_equal(found: list[tuple], expected: dict) -> None:
    assert [(day, value) for day, value, *_ in found] == sorted(expected, key=lambda k: (k[0], k[1] is not None, k[1]))
    for day, value, *sums in found:
        for column, amount in zip(LOCAL_DAY_COLUMNS, sums, strict=True):
            wanted = expected[(day, value)][column]
            if column in INTEGERS:
                assert type(amount) is int and amount == wanted, (day, value, column)
            else:
                assert math.isclose(amount, wanted, rel_tol=1e-9, abs_tol=1e-12), (day, value, column, amount, wanted)


@pytest.mark.parametrize('zone', ZONES)
def test_usage_per_local_day_equals_the_hours_added_up_per_local_day(session, zone):
    account, keys, offers = _seed(session, zone, seed=len(zone))
    windows = [
        (_midnight(FIRST, zone), _midnight(LAST + timedelta(days=1), zone)),
        (_midnight(date(2026, 10, 3), zone), _midnight(date(2026, 10, 6), zone)),  # across Lord Howe's change
        (_midnight(date(2026, 10, 24), zone), _midnight(date(2026, 11, 3), zone)),  # Europe's and America's
        (_midnight(date(2026, 10, 25), zone), _midnight(date(2026, 10, 26), zone)),  # one day, no whole UTC day
    ]
    filter_sets = [
        {},
        {'model': offers[0].model},
        {'status': 'failed'},
        {'key_id': 0},
        {'key_id': keys[1], 'provider': offers[1].provider},
        {'region': offers[2].region, 'status': 'completed'},
    ]
    checked = 0
    for since, until in windows:
        for group in GROUPS:
            for filters in filter_sets:
                expected = _reference(session, account, since, until, group, filters)
                found = usage_by_local_day(
                    session, account.id, zone, since, until, group=group, columns=LOCAL_DAY_COLUMNS, **filters
                )
                _assert_equal(found, expected)
                checked += len(found)
    assert checked > 1000


@pytest.mark.parametrize('zone', ('Europe/Berlin', 'Asia/Kathmandu'))
def test_only_the_asked_columns_come_back_and_hours_come_per_utc_hour(session, zone):
    account, _, _ = _seed(session, zone, seed=7)
    since, until = _midnight(date(2026, 10, 24), zone), _midnight(date(2026, 10, 27), zone)
    rows = usage_by_local_day(
        session, account.id, zone, since, until, group='model', columns=('cost_micros', 'carbon_g')
    )
    expected = _reference(session, account, since, until, 'model', {})
    assert [(d, v) for d, v, *_ in rows] == sorted(expected)
    for day, model, cost, carbon in rows:
        assert cost == expected[(day, model)]['cost_micros']
        assert math.isclose(carbon, expected[(day, model)]['carbon_g'], rel_tol=1e-9, abs_tol=1e-12)

    hours = usage_by_hour(
        session, account.id, since, until, group='status', columns=('requests', 'tokens', 'energy_wh'), model=None
    )
    reference = usage(session, account.id, since=since, until=until, group_by=('hour', 'status'))
    assert [(h, s, r, t) for h, s, r, t, _ in hours] == [(x.hour, x.status, x.requests, x.tokens) for x in reference]
    for (*_, energy), row in zip(hours, reference, strict=True):
        assert math.isclose(energy, row.energy_wh, rel_tol=1e-9, abs_tol=1e-12)


def test_unknown_columns_groups_and_statuses_are_refused(session, account):
    since, until = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 10, 2, tzinfo=UTC)
    with pytest.raises(ValueError):
        usage_by_local_day(session, account.id, 'UTC', since, until, columns=('requests', 'hour'))
    with pytest.raises(ValueError):
        usage_by_local_day(session, account.id, 'UTC', since, until, group='day')
    with pytest.raises(ValueError):
        usage_by_local_day(session, account.id, 'UTC', since, until, status='done')
    with pytest.raises(ValueError):
        usage_by_hour(session, account.id, since, until, colour='red')
    assert usage_by_local_day(session, account.id, 'UTC', since, until, group='model') == []


def test_usage_sums_equal_the_usage_query(session):
    account, keys, offers = _seed(session, 'Asia/Kolkata', seed=3)
    since, until = _midnight(date(2026, 10, 2), 'Asia/Kolkata'), _midnight(date(2026, 10, 30), 'Asia/Kolkata')
    for group_by, filters in [
        ((), {}),
        (('model',), {'status': 'failed'}),
        (('key',), {'provider': offers[1].provider}),
        (('model', 'provider', 'region', 'key', 'status'), {}),
        (('status',), {'key_id': keys[0], 'model': offers[0].model}),
    ]:
        found = usage_sums(
            session, account.id, since, until, group_by=group_by, columns=('requests', 'tokens', 'carbon_g'), **filters
        )
        expected = usage(session, account.id, since=since, until=until, group_by=group_by, **filters)
        fields = [FIELD.get(g, g) for g in group_by]
        assert sorted(row[: len(fields) + 2] for row in found) == sorted(
            (*(getattr(r, f) for f in fields), r.requests, r.tokens) for r in expected
        )
        carbon = {row[: len(fields)]: row[-1] for row in found}
        for r in expected:
            assert math.isclose(carbon[tuple(getattr(r, f) for f in fields)], r.carbon_g, rel_tol=1e-9, abs_tol=1e-12)
