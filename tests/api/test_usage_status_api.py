"""The status of generations over HTTP: /api/v1/usage groups and filters by it (and by provider and region), the
list and the CSV export of generations filter by it, and an unknown status is a 422 in the API's error shape."""

import csv
import io
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from services import db
from services.models import Generation
from services.money import decimal_string

GEN = {
    'model': 'openai/gpt-4o-mini',
    'provider': 'openai',
    'region': 'us-east-1',
    'prompt_tokens': 812,
    'completion_tokens': 240,
    'latency_ms': 1830,
}


async def _record(api, ingest) -> None:
    start = (datetime.now(UTC) - timedelta(hours=30)).replace(microsecond=0)
    batch = []
    for i in range(24):
        status = ('completed', 'completed', 'failed', 'cancelled')[i % 4]
        model = ('openai/gpt-4o-mini', 'openai/gpt-4o')[i % 3 == 0]
        at = (start + timedelta(minutes=73 * i)).isoformat().replace('+00:00', 'Z')
        batch.append(GEN | {'model': model, 'status': status, 'created_at': at, 'prompt_tokens': 100 + i})
    response = await api.post('/api/v1/generations/batch', json={'generations': batch}, headers=ingest)
    assert response.status_code == 201, response.text


def _stored(account_id: int) -> list[Generation]:
    with db.session_scope() as session:
        return list(session.exec(select(Generation).where(Generation.account_id == account_id)))


async def test_usage_grouped_by_status_equals_the_database(api, make_key, account_id):
    ingest, read = make_key('ingest'), make_key('read')
    await _record(api, ingest)
    stored = _stored(account_id)
    body = (await api.get('/api/v1/usage', params={'group_by': 'status'}, headers=read)).json()
    assert body['group_by'] == 'status'
    got = {row['group']: row for row in body['items']}
    assert set(got) == {'completed', 'failed', 'cancelled'}
    for status, row in got.items():
        mine = [g for g in stored if g.status == status]
        assert row['requests'] == len(mine)
        assert row['prompt_tokens'] == sum(g.prompt_tokens for g in mine)
        assert row['total_tokens'] == sum(g.total_tokens for g in mine)
        assert row['cost'] == decimal_string(sum(g.cost_micros for g in mine))
        assert abs(row['energy_wh'] - sum(g.energy_wh for g in mine)) < 1e-9


async def test_usage_filters_by_status_provider_region_model_and_key(api, make_key, account_id):
    ingest, read = make_key('ingest'), make_key('read')
    await _record(api, ingest)
    stored = _stored(account_id)
    cases = [
        {'status': 'failed'},
        {'status': 'cancelled', 'model': 'openai/gpt-4o'},
        {'provider': 'openai', 'region': 'us-east-1', 'status': 'completed'},
        {'provider': 'nobody'},
        {'region': 'eu-west-3'},
        {'key': stored[0].api_key_id, 'status': 'failed'},
    ]
    for params in cases:
        body = (await api.get('/api/v1/usage', params={'group_by': 'model', **params}, headers=read)).json()
        expected = Counter(g.model for g in stored if _matches(g, params))
        assert {row['group']: row['requests'] for row in body['items']} == dict(expected), params


async def test_generations_and_the_csv_export_filter_by_status(api, make_key, account_id):
    ingest, read = make_key('ingest'), make_key('read')
    await _record(api, ingest)
    stored = _stored(account_id)
    for status in ('completed', 'failed', 'cancelled'):
        expected = sorted(g.id for g in stored if g.status == status)
        listed = (await api.get('/api/v1/generations', params={'status': status, 'limit': 500}, headers=read)).json()
        assert sorted(g['id'] for g in listed['items']) == expected
        assert {g['status'] for g in listed['items']} == {status}
        response = await api.get('/api/v1/generations.csv', params={'status': status}, headers=read)
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert sorted(r['id'] for r in rows) == expected
    params = {'status': 'cancelled', 'model': 'openai/gpt-4o'}
    response = await api.get('/api/v1/generations.csv', params=params, headers=read)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r['id'] for r in rows) == sorted(g.id for g in stored if _matches(g, params))


async def test_an_unknown_status_or_group_is_refused_with_a_422(api, make_key):
    read = make_key('read')
    for path, params in (
        ('/api/v1/usage', {'status': 'paused'}),
        ('/api/v1/usage', {'group_by': 'status', 'status': 'COMPLETED'}),
        ('/api/v1/usage', {'group_by': 'mood'}),
        ('/api/v1/generations', {'status': 'ok'}),
        ('/api/v1/generations.csv', {'status': ''}),
    ):
        response = await api.get(path, params=params, headers=read)
        assert response.status_code == 422, (path, params)
        error = response.json()['error']
        assert error['code'] == 'invalid' and error['message'], (path, params)
        assert 'status' in error['message'] or 'group_by' in error['message'], error


def _matches(g: Generation, params: dict) -> bool:
    fields = {'key': 'api_key_id'}
    return all(getattr(g, fields.get(name, name)) == value for name, value in params.items())
