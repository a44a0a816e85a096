"""The usage explorer (services/usage/explorer.py): buckets in the account's time zone, shares, change against the
previous period, totals equal to the usage query's, and the CSV exports."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.money import decimal_string
from services.usage.explorer import chart_traces, explore, filter_options
from services.usage.explorer_csv import series_csv, table_csv
from services.usage.query import usage
from services.usage.ranges import DateRange, bucket_starts
from tests.support import factories

MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']


def _utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _account(session, zone):
    account = factories.account(session=session, timezone=zone)
    session.commit()
    return account


def _record(session, account, moments, **fields):
    for moment in moments:
        factories.generation(account, session=session, created_at=moment, **fields)
    session.commit()


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_days_of_a_dst_change_are_local_days_and_the_25_hour_day_holds_its_hours(session):
    berlin = _account(session, 'Europe/Berlin')
    # 25 Oct 2026: clocks go back from 03:00 CEST to 02:00 CET, a day of 25 hours
    moments = [
        _utc(2026, 10, 23, 22, 5),  # 24 Oct 00:05 CEST
        _utc(2026, 10, 24, 21, 55),  # 24 Oct 23:55 CEST
        _utc(2026, 10, 24, 22, 10),  # 25 Oct 00:10 CEST
        _utc(2026, 10, 25, 0, 30),  # 25 Oct 02:30 CEST (first 02:xx)
        _utc(2026, 10, 25, 1, 30),  # 25 Oct 02:30 CET (second 02:xx)
        _utc(2026, 10, 25, 22, 59),  # 25 Oct 23:59 CET
        _utc(2026, 10, 25, 23, 0),  # 26 Oct 00:00 CET
    ]
    _record(session, berlin, moments)
    period = DateRange('custom', date(2026, 10, 24), date(2026, 10, 26), 'Europe/Berlin')
    found = explore(session, berlin, period, 'requests', 'model', {})
    assert period.bucket == 'day'
    assert [b.isoformat() for b in found.buckets] == [
        '2026-10-24T00:00:00+02:00',
        '2026-10-25T00:00:00+02:00',
        '2026-10-26T00:00:00+01:00',
    ]
    assert found.series['openai/gpt-4o-mini'].tolist() == [2, 4, 1]
    assert str(found.series.dtypes.iloc[0]) == 'int64'

    day = DateRange('custom', date(2026, 10, 25), date(2026, 10, 25), 'Europe/Berlin')
    hourly = explore(session, berlin, day, 'requests', 'model', {})
    assert day.bucket == 'hour' and len(hourly.buckets) == 25
    values = dict(zip((b.isoformat() for b in hourly.buckets), hourly.series['openai/gpt-4o-mini'], strict=True))
    assert values['2026-10-25T02:00:00+02:00'] == 1 and values['2026-10-25T02:00:00+01:00'] == 1
    assert values['2026-10-25T00:00:00+02:00'] == 1 and values['2026-10-25T23:00:00+01:00'] == 1
    assert sum(values.values()) == 4


def test_a_half_hour_zone_cuts_days_at_whole_utc_hours(session):
    kolkata = _account(session, 'Asia/Kolkata')  # UTC+05:30
    moments = [
        _utc(2026, 11, 10, 18, 10),  # 10 Nov 23:40 local, its UTC hour starts 23:30 on the 10th
        _utc(2026, 11, 10, 18, 40),  # 11 Nov 00:10 local, but its UTC hour starts 23:30 on the 10th
        _utc(2026, 11, 10, 19, 5),  # 11 Nov 00:35 local, hour from 00:30 on the 11th
    ]
    _record(session, kolkata, moments)
    period = DateRange('custom', date(2026, 11, 10), date(2026, 11, 12), 'Asia/Kolkata')
    found = explore(session, kolkata, period, 'tokens', 'model', {})
    assert [b.isoformat() for b in found.buckets][:2] == ['2026-11-10T00:00:00+05:30', '2026-11-11T00:00:00+05:30']
    assert found.series['openai/gpt-4o-mini'].tolist() == [280, 140, 0]
    assert period.cut_note and '00:30' in period.cut_note

    day = DateRange('custom', date(2026, 11, 11), date(2026, 11, 11), 'Asia/Kolkata')
    hourly = explore(session, kolkata, day, 'requests', 'model', {})
    assert hourly.buckets == bucket_starts(day)
    assert hourly.buckets[0].isoformat() == '2026-11-11T00:30:00+05:30'
    assert hourly.series['openai/gpt-4o-mini'].tolist()[0] == 1 and hourly.total == 1


def test_weeks_start_on_monday_and_empty_buckets_are_zero(session):
    account = _account(session, 'Europe/Paris')
    _record(session, account, [_utc(2026, 11, 18, 12), _utc(2026, 11, 19, 12)])  # Wednesday and Thursday
    period = DateRange('custom', date(2026, 8, 1), date(2026, 11, 30), 'Europe/Paris')
    found = explore(session, account, period, 'requests', 'status', {})
    assert period.bucket == 'week'
    assert all(b.weekday() == 0 and b.hour == 0 for b in found.buckets)
    assert found.buckets[0].date() == date(2026, 7, 27)
    values = dict(zip((b.date() for b in found.buckets), found.series['completed'], strict=True))
    assert values[date(2026, 11, 16)] == 2 and sum(values.values()) == 2


def _history(session, account):
    keys = [factories.api_key(account, session=session, name=f'key {i}', scopes=['read']).key.id for i in range(2)]
    start = _utc(2026, 11, 1, 0, 30)
    for i in range(120):
        factories.generation(
            account,
            session=session,
            model=MODELS[i % 3],
            prompt_tokens=100 + 7 * i,
            completion_tokens=10 + 3 * i,
            created_at=start + timedelta(hours=5 * i + i % 4),
            api_key_id=[None, *keys][i % 3 if i % 5 else 0],
            status='failed' if i % 11 == 0 else 'completed',
        )
    session.commit()
    return keys


@pytest.mark.parametrize('metric', ['requests', 'tokens', 'cost', 'energy', 'carbon'])
@pytest.mark.parametrize('group', ['model', 'key', 'status'])
def test_the_tables_totals_equal_the_usage_query_and_shares_sum_to_one(session, metric, group):
    account = _account(session, 'America/New_York')
    _history(session, account)
    period = DateRange('custom', date(2026, 11, 10), date(2026, 11, 24), 'America/New_York')
    found = explore(session, account, period, metric, group, {})
    field = {'key': 'key_id'}.get(group, group)
    expected = {getattr(r, field): r for r in usage(session, account.id, since=period.since, until=period.until,
                                                   group_by=(group,))}  # fmt: skip
    assert {g.value for g in found.groups} == set(expected)
    for g in found.groups:
        row = expected[g.value]
        assert (g.requests, g.tokens, g.cost_micros) == (row.requests, row.tokens, row.cost_micros)
        assert g.energy_wh == pytest.approx(row.energy_wh) and g.carbon_g == pytest.approx(row.carbon_g)
    assert sum(g.share for g in found.groups) == pytest.approx(1.0)
    totals = [g.total for g in found.groups]
    assert totals == sorted(totals, reverse=True)
    if metric in ('requests', 'tokens', 'cost'):
        assert all(isinstance(g.total, int) for g in found.groups) and isinstance(found.total, int)
        assert int(found.series.to_numpy().sum()) == found.total
    else:
        assert float(found.series.to_numpy().sum()) == pytest.approx(found.total)
    for g in found.groups:  # the series adds up to each group's total
        assert found.series[g.value].sum() == pytest.approx(g.total)


def test_change_against_the_previous_period_and_new_groups(session):
    account = _account(session, 'UTC')
    period = DateRange('custom', date(2026, 11, 11), date(2026, 11, 20), 'UTC')
    before = period.previous()
    assert (before.first, before.last) == (date(2026, 11, 1), date(2026, 11, 10))
    _record(session, account, [_utc(2026, 11, 5, 10)] * 4, model='openai/gpt-4o-mini')
    _record(session, account, [_utc(2026, 11, 15, 10)] * 5, model='openai/gpt-4o-mini')
    _record(session, account, [_utc(2026, 11, 15, 11)] * 2, model='mistral/mistral-small')
    _record(session, account, [_utc(2026, 11, 6, 11)] * 3, model='openai/gpt-4o')  # only before
    found = explore(session, account, period, 'requests', 'model', {})
    by_value = {g.value: g for g in found.groups}
    assert set(by_value) == {'openai/gpt-4o-mini', 'mistral/mistral-small'}
    assert by_value['openai/gpt-4o-mini'].previous == 4
    assert by_value['openai/gpt-4o-mini'].change == pytest.approx(0.25)
    assert by_value['mistral/mistral-small'].change is None  # new: none before
    assert (found.total, found.previous_total) == (7, 7) and found.change == 0.0
    table = _rows(table_csv(found))
    assert table[1][0] == 'openai/gpt-4o-mini' and table[1][-1] == '25.0'
    assert table[2][0] == 'mistral/mistral-small' and table[2][-1] == 'new'


def test_filters_narrow_every_figure(session):
    account = _account(session, 'Europe/Berlin')
    keys = _history(session, account)
    period = DateRange('custom', date(2026, 11, 1), date(2026, 11, 30), 'Europe/Berlin')
    filters = {'key_id': keys[0], 'status': 'completed'}
    found = explore(session, account, period, 'cost', 'model', filters)
    expected = usage(session, account.id, since=period.since, until=period.until, group_by=('model',), **filters)
    assert {g.value: g.cost_micros for g in found.groups} == {r.model: r.cost_micros for r in expected}
    assert found.filters == filters
    options = filter_options(session, account, period)
    assert {v for v, _ in options['key_id']} == {0, *keys}
    assert dict(options['key_id'])[0] == 'no key' and dict(options['key_id'])[keys[1]] == 'key 1'
    assert {v for v, _ in options['status']} == {'completed', 'failed'}
    assert {v for v, _ in options['model']} == set(MODELS)


def test_the_chart_lumps_groups_after_the_eighth_into_other(session):
    account = _account(session, 'UTC')
    catalog_models = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']
    for i in range(10):  # ten keys, the largest first
        key = factories.api_key(account, session=session, name=f'k{i}').key.id
        _record(session, account, [_utc(2026, 11, 15, 10)] * (10 - i), api_key_id=key, model=catalog_models[i % 3])
    period = DateRange('custom', date(2026, 11, 15), date(2026, 11, 16), 'UTC')
    found = explore(session, account, period, 'requests', 'key', {})
    traces = chart_traces(found)
    assert [t.label for t in traces] == [f'k{i}' for i in range(8)] + ['Other (2)']
    assert traces[-1].value is None and sum(traces[-1].values) == 2 + 1
    assert len(found.groups) == 10  # the table keeps every group
    series = _rows(series_csv(found))[1:]  # the series CSV is the chart as shown: eight keys and "Other (2)"
    assert len(series) == len(found.buckets) * 9
    assert [row[1:3] for row in series[:9]] == [[f'k{i}', str(traces[i].value)] for i in range(8)] + [['Other (2)', '']]
    for trace in traces:
        assert [int(row[3]) for row in series if row[1] == trace.label] == trace.values
    assert len(_rows(table_csv(found))) == 1 + 10  # the table's CSV has every group


def test_csv_exports_have_units_local_times_and_safe_cells(session):
    account = _account(session, 'Europe/Berlin')
    key = factories.api_key(account, session=session, name='=HYPERLINK("x")').key.id
    _record(session, account, [_utc(2026, 10, 24, 23, 30), _utc(2026, 10, 25, 12)], api_key_id=key)
    _record(session, account, [_utc(2026, 10, 25, 12)])
    period = DateRange('custom', date(2026, 10, 24), date(2026, 10, 26), 'Europe/Berlin')
    found = explore(session, account, period, 'cost', 'key', {})
    series = _rows(series_csv(found))
    assert series[0] == ['bucket_start', 'key', 'key_id', 'cost (USD)']
    assert len(series) == 1 + 3 * 2  # every bucket x group, zeros included
    assert series[1][0] == '2026-10-24T00:00:00+02:00' and series[-1][0] == '2026-10-26T00:00:00+01:00'
    named = [row for row in series[1:] if row[2] == str(key)]
    assert all(row[1] == '\'=HYPERLINK("x")' for row in named)
    assert sum(Decimal(row[3]) for row in series[1:]) == Decimal(decimal_string(found.total))
    assert {row[1] for row in series[1:]} >= {'no key'}

    table = _rows(table_csv(found))
    assert table[0] == [
        'key', 'key_id', 'requests', 'tokens', 'cost (USD)', 'energy (Wh)', 'carbon (g CO2e)', 'share of cost (%)',
        'cost (USD) previous period', 'change in cost (%)',
    ]  # fmt: skip
    by_key = {row[1]: row for row in table[1:]}
    g = next(g for g in found.groups if g.value == key)
    row = by_key[str(key)]
    assert row[0] == '\'=HYPERLINK("x")'
    assert row[2:5] == [str(g.requests), str(g.tokens), decimal_string(g.cost_micros)]
    assert float(row[5]) == g.energy_wh and float(row[6]) == g.carbon_g
    assert row[8] == '0.000000' and row[9] == 'new'
    energy = explore(session, account, period, 'energy', 'model', {})
    assert _rows(series_csv(energy))[0] == ['bucket_start', 'model', 'energy (Wh)']


def test_an_empty_range_has_every_bucket_and_no_groups(session):
    account = _account(session, 'Europe/Berlin')
    period = DateRange('custom', date(2026, 11, 1), date(2026, 11, 7), 'Europe/Berlin')
    found = explore(session, account, period, 'carbon', 'region', {})
    assert len(found.buckets) == 7 and found.groups == [] and found.total == 0.0 and found.change is None
    assert _rows(series_csv(found)) == [['bucket_start', 'region', 'carbon (g CO2e)']]
    assert chart_traces(found) == []
