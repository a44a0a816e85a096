"""GET /api/v1/usage/series: what the /usage page charts, over HTTP with real keys; its figures equal the
database and /api/v1/usage for the same range, across the autumn daylight-saving change of the account's zone."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from services import db
from services.models import Generation
from services.money import decimal_string
from services.timeutil import local

PARIS = ZoneInfo('Europe/Paris')  # the account's zone (tests/api/conftest.py)
GEN = {'provider': 'openai', 'region': 'us-east-1', 'prompt_tokens': 500, 'completion_tokens': 120}


async def _record(api, ingest) -> None:
    """Generations every 97 minutes over 23-26 October 2026 (Paris leaves summer time on the 25th)."""
    start = datetime(2026, 10, 23, 0, 30, tzinfo=PARIS).astimezone(UTC)
    batch = []
    for i in range(60):
        at = (start + timedelta(minutes=97 * i)).isoformat().replace('+00:00', 'Z')
        model = ('openai/gpt-4o-mini', 'openai/gpt-4o')[i % 3 == 0]
        status = 'failed' if i % 7 == 0 else 'completed'
        batch.append(GEN | {'model': model, 'created_at': at, 'prompt_tokens': 400 + i, 'status': status})
    response = await api.post('/api/v1/generations/batch', json={'generations': batch}, headers=ingest)
    assert response.status_code == 201, response.text


def _stored(account_id: int) -> list[Generation]:
    with db.read_scope() as session:
        return list(session.exec(select(Generation).where(Generation.account_id == account_id)))


async def test_the_series_equals_the_database_day_by_day_across_the_change(api, make_key, account_id):
    ingest, read = make_key('ingest'), make_key('read')
    await _record(api, ingest)
    params = {'from': '2026-10-23', 'to': '2026-10-26', 'metric': 'cost', 'group_by': 'model'}
    response = await api.get('/api/v1/usage/series', params=params, headers=read)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['range'] | {'note': None} == {
        'preset': 'custom', 'first_day': '2026-10-23', 'last_day': '2026-10-26', 'timezone': 'Europe/Paris',
        'since': '2026-10-22T22:00:00Z', 'until': '2026-10-26T23:00:00Z', 'bucket': 'day', 'note': None,
    }  # fmt: skip
    assert body['buckets'] == [
        '2026-10-23T00:00:00+02:00', '2026-10-24T00:00:00+02:00', '2026-10-25T00:00:00+02:00',
        '2026-10-26T00:00:00+01:00',
    ]  # fmt: skip
    expected: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for g in _stored(account_id):
        expected[g.model][local(g.created_at, 'Europe/Paris').date().isoformat()] += g.cost_micros
    days = [b[:10] for b in body['buckets']]
    assert {g['value'] for g in body['groups']} == set(expected)
    for group in body['groups']:
        assert group['values'] == [decimal_string(expected[group['value']][day]) for day in days]
        assert group['total'] == decimal_string(sum(expected[group['value']].values()))
        assert group['previous'] == '0.000000' and group['change'] is None
    assert body['total'] == decimal_string(sum(g.cost_micros for g in _stored(account_id)))
    assert abs(sum(g['share'] for g in body['groups']) - 1) < 1e-12

    # the same range through /api/v1/usage: the same totals per model
    window = {'from': body['range']['since'], 'to': body['range']['until'], 'group_by': 'model'}
    usage = (await api.get('/api/v1/usage', params=window, headers=read)).json()['items']
    assert {row['group']: row['cost'] for row in usage} == {g['value']: g['total'] for g in body['groups']}


async def test_counts_stay_integers_and_filters_and_status_apply(api, make_key, account_id):
    ingest, read = make_key('ingest'), make_key('read')
    await _record(api, ingest)
    params = {'from': '2026-10-23', 'to': '2026-10-26', 'metric': 'requests', 'group_by': 'status'}
    body = (await api.get('/api/v1/usage/series', params=params, headers=read)).json()
    by_status = {g['value']: g for g in body['groups']}
    stored = _stored(account_id)
    assert by_status['failed']['total'] == sum(g.status == 'failed' for g in stored)
    assert all(isinstance(v, int) for g in body['groups'] for v in g['values'])
    narrowed = params | {'model': 'openai/gpt-4o', 'status': 'completed'}
    body = (await api.get('/api/v1/usage/series', params=narrowed, headers=read)).json()
    wanted = [g for g in stored if g.model == 'openai/gpt-4o' and g.status == 'completed']
    assert body['total'] == len(wanted) and [g['value'] for g in body['groups']] == ['completed']


async def test_bad_input_is_a_422_naming_the_parameter_and_a_read_scope_is_needed(api, make_key, account_id):
    read, ingest = make_key('read'), make_key('ingest')
    cases = [
        ({'from': '2026-10-26', 'to': '2026-10-23'}, 'to'),
        ({'range': 'yesterday'}, 'range'),
        ({'from': '23/10/2026'}, 'from'),
        ({'metric': 'latency'}, 'metric'),
        ({'group_by': 'colour'}, 'group_by'),
        ({'key': '-1'}, 'key'),
    ]
    for params, field in cases:
        response = await api.get('/api/v1/usage/series', params=params, headers=read)
        assert response.status_code == 422, (params, response.text)
        error = response.json()['error']
        assert error['code'] == 'invalid' and field in error['message'], (params, error)
    assert (await api.get('/api/v1/usage/series', headers=ingest)).status_code == 403
    assert (await api.get('/api/v1/usage/series')).status_code == 401
