import csv
import io
from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from services import db
from services.catalog import get_catalog
from services.eco import estimate as eco
from services.models import Generation, UsageHour

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 812, 'completion_tokens': 240}


def _counts():
    with db.session_scope() as session:
        return (
            session.exec(select(func.count()).select_from(Generation)).one(),
            session.exec(select(func.coalesce(func.sum(UsageHour.requests), 0))).one(),
        )


async def test_record_returns_the_stored_record_and_retries_are_idempotent(api, make_key):
    headers = make_key('ingest', 'read') | {'Idempotency-Key': 'abc-1'}
    first = await api.post('/api/v1/generations', json=GEN | {'external_id': 'req-42'}, headers=headers)
    assert first.status_code == 201
    body = first.json()
    offer = get_catalog().cheapest_offer('openai/gpt-4o-mini')
    assert (body['provider'], body['region']) == (offer.provider, offer.region)
    assert body['total_tokens'] == 1052 and body['currency'] == 'USD'
    assert set(body['energy_wh']) == {'low', 'value', 'high'}
    with db.session_scope() as session:
        stored = session.get(Generation, body['id'])
    assert body['embodied_g'] == {
        'low': stored.embodied_g_low,
        'value': stored.embodied_g,
        'high': stored.embodied_g_high,
    }
    assert 0 < body['embodied_g']['value'] < body['carbon_g']['value']
    assert (body['input_energy_wh'], body['pue'], body['grid_basis']) == (
        stored.input_energy_wh,
        stored.pue,
        stored.grid_basis,
    )
    impact = eco.estimate(get_catalog(), GEN['model'], offer.provider, offer.region, 240, prompt_tokens=812)
    assert body['embodied_g'] == impact.embodied_g.as_dict() and body['grid_basis'] == impact.grid_basis
    assert 0 < body['input_energy_wh'] == impact.input_energy_wh < body['energy_wh']['value']
    assert body['pue'] == impact.pue > 1 and body['methodology_version'] == eco.METHODOLOGY_VERSION
    again = await api.post('/api/v1/generations', json=GEN | {'external_id': 'req-42'}, headers=headers)
    assert again.status_code == 200 and again.json()['id'] == body['id']
    by_external_id = await api.post(
        '/api/v1/generations', json=GEN | {'external_id': 'req-42'}, headers=make_key('ingest')
    )
    assert by_external_id.status_code == 200 and by_external_id.json()['id'] == body['id']
    assert _counts() == (1, 1)
    fetched = await api.get(f'/api/v1/generations/{body["id"]}', headers=make_key('read'))
    assert fetched.json() == body


async def test_invalid_payloads_get_a_json_4xx_and_write_nothing(api, make_key):
    headers = make_key('ingest')
    cases = [
        (GEN | {'model': 'nobody/none'}, 422, 'model'),
        (GEN | {'region': 'atlantis-1'}, 422, 'region'),
        (GEN | {'prompt_tokens': -5}, 422, 'prompt_tokens'),
        (GEN | {'completion_tokens': 10**13}, 422, 'completion_tokens'),
        (GEN | {'prompt': 'hello there'}, 422, 'prompt'),
        (GEN | {'messages': [{'role': 'user', 'content': 'x'}]}, 422, 'messages'),
        (GEN | {'surprise': 1}, 422, 'surprise'),
        ({'model': 'openai/gpt-4o-mini'}, 422, 'prompt_tokens'),
    ]
    for payload, status, field in cases:
        response = await api.post('/api/v1/generations', json=payload, headers=headers)
        assert response.status_code == status, payload
        assert field in response.json()['error']['message'], response.json()
    assert _counts() == (0, 0)


async def test_a_batch_is_all_or_nothing(api, make_key):
    headers = make_key('ingest')
    good = [GEN | {'external_id': f'b-{i}'} for i in range(5)]
    refused = await api.post(
        '/api/v1/generations/batch', json={'generations': [*good, GEN | {'model': 'x/y'}]}, headers=headers
    )
    assert refused.status_code == 422
    assert 'generations.5.model' in refused.json()['error']['message']
    assert _counts() == (0, 0)
    accepted = await api.post('/api/v1/generations/batch', json={'generations': good}, headers=headers)
    assert accepted.status_code == 201 and accepted.json()['created'] == 5
    retried = await api.post('/api/v1/generations/batch', json={'generations': good}, headers=headers)
    assert retried.status_code == 200 and retried.json()['created'] == 0
    assert [i['id'] for i in retried.json()['items']] == [i['id'] for i in accepted.json()['items']]
    assert _counts() == (5, 5)


async def test_list_is_cursor_paged_and_stable_under_new_inserts(api, make_key):
    ingest, read = make_key('ingest'), make_key('read')
    start = (datetime.now(UTC) - timedelta(days=20)).replace(
        second=0, microsecond=0
    )  # created_at: 90 days back at most
    batch = [GEN | {'created_at': (start + timedelta(minutes=i)).isoformat()} for i in range(7)]
    await api.post('/api/v1/generations/batch', json={'generations': batch}, headers=ingest)
    first = (await api.get('/api/v1/generations?limit=3', headers=read)).json()
    await api.post('/api/v1/generations', json=GEN, headers=ingest)  # newer than everything: must not shift pages
    second = (await api.get(f'/api/v1/generations?limit=3&cursor={first["next_cursor"]}', headers=read)).json()
    third = (await api.get(f'/api/v1/generations?limit=3&cursor={second["next_cursor"]}', headers=read)).json()
    times = [g['created_at'] for page in (first, second, third) for g in page['items']]
    assert len(times) == 7 and times == sorted(times, reverse=True)
    assert third['next_cursor'] is None
    assert (await api.get('/api/v1/generations?cursor=garbage', headers=read)).status_code == 422
    filtered = (await api.get(f'/api/v1/generations?from={_z(start, 3)}&to={_z(start, 5)}', headers=read)).json()
    assert len(filtered['items']) == 2


async def test_csv_export_streams_with_filters_and_escapes_formulas(api, make_key):
    ingest = make_key('ingest')
    await api.post('/api/v1/generations', json=GEN | {'external_id': '=HYPERLINK("http://evil")'}, headers=ingest)
    await api.post('/api/v1/generations', json=GEN | {'model': 'openai/gpt-4o', 'external_id': '+1'}, headers=ingest)
    response = await api.get('/api/v1/generations.csv?model=openai/gpt-4o-mini', headers=make_key('read'))
    assert response.status_code == 200 and response.headers['content-type'].startswith('text/csv')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]['external_id'] == '\'=HYPERLINK("http://evil")'
    assert rows[0]['model'] == 'openai/gpt-4o-mini' and rows[0]['total_tokens'] == '1052'


async def test_usage_and_credits(api, make_key):
    ingest, read = make_key('ingest'), make_key('read')
    for model in ('openai/gpt-4o-mini', 'openai/gpt-4o-mini', 'openai/gpt-4o'):
        await api.post('/api/v1/generations', json=GEN | {'model': model}, headers=ingest)
    usage = (await api.get('/api/v1/usage?group_by=model', headers=read)).json()
    by_model = {row['group']: row for row in usage['items']}
    assert by_model['openai/gpt-4o-mini']['requests'] == 2
    assert by_model['openai/gpt-4o-mini']['total_tokens'] == 2 * 1052
    days = (await api.get('/api/v1/usage?group_by=day', headers=read)).json()
    assert sum(r['requests'] for r in days['items']) == 3
    credits = (await api.get('/api/v1/credits', headers=read)).json()
    spent = sum(float(r['cost']) for r in usage['items'])
    assert credits['currency'] == 'USD'
    assert abs(float(credits['spent_this_month']) - spent) < 1e-9
    assert float(credits['balance']) == -float(credits['spent_this_month'])
    assert (await api.get('/api/v1/usage?group_by=planet', headers=read)).status_code == 422


def _z(start: datetime, minutes: int) -> str:
    return (start + timedelta(minutes=minutes)).strftime('%Y-%m-%dT%H:%M:%SZ')
