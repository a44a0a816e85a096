"""Data retention over HTTP: read and change the setting with real keys; a pruned generation answers 410."""

from datetime import datetime, timedelta

from services import db
from services.models import Account, utcnow
from services.usage.generation_ids import new_generation_id
from services.usage.retention import cutoff_for
from workers.background import prune_round

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 812, 'completion_tokens': 240}


async def test_read_and_change_the_retention_setting(api, make_key):
    read, manage = make_key('read'), make_key('manage')
    first = await api.get('/api/v1/retention', headers=read)
    assert first.status_code == 200
    assert first.json() == {
        'retention_days': None,
        'pruned_before': None,
        'pruned_at': None,
        'pruned_generations': 0,
        'next_cutoff': None,
        'awaiting_pruning': 0,
    }
    saved = await api.put('/api/v1/retention', json={'retention_days': 90}, headers=manage)
    assert saved.status_code == 200
    assert saved.json()['retention_days'] == 90 and saved.json()['next_cutoff'].endswith(':00:00Z')
    assert (await api.get('/api/v1/retention', headers=read)).json()['retention_days'] == 90
    cleared = await api.put('/api/v1/retention', json={'retention_days': None}, headers=manage)
    assert cleared.json()['retention_days'] is None and cleared.json()['next_cutoff'] is None
    assert (await api.put('/api/v1/retention', json={'retention_days': 30}, headers=read)).status_code == 403
    assert (await api.get('/api/v1/retention')).status_code == 401


async def test_bad_input_is_refused_with_json_and_nothing_is_written(api, make_key, account_id):
    manage = make_key('manage')
    assert (await api.put('/api/v1/retention', json={'retention_days': 90}, headers=manage)).status_code == 200
    for body in (
        {'retention_days': 0},
        {'retention_days': -1},
        {'retention_days': 3651},
        {'retention_days': 1.5},
        {'retention_days': '30'},
        {'retention_days': True},
        {},
        {'retention_days': 30, 'colour': 'green'},
        [30],
    ):
        response = await api.put('/api/v1/retention', json=body, headers=manage)
        assert response.status_code == 422, body
        error = response.json()['error']
        assert error['code'] == 'invalid' and error['message'], body
    not_json = await api.put(
        '/api/v1/retention', content=b'thirty', headers=manage | {'Content-Type': 'application/json'}
    )
    assert not_json.status_code == 422 and 'error' in not_json.json()
    with db.session_scope() as session:
        assert session.get(Account, account_id).retention_days == 90


async def test_a_pruned_generation_answers_410_and_an_unknown_one_404(api, make_key):
    ingest, read, manage = make_key('ingest'), make_key('read'), make_key('manage')
    now = utcnow()
    old = (await api.post('/api/v1/generations', json=GEN | {'created_at': _iso(now - timedelta(days=40))},
                          headers=ingest)).json()  # fmt: skip
    kept = (await api.post('/api/v1/generations', json=GEN, headers=ingest)).json()
    credits = (await api.get('/api/v1/credits', headers=read)).json()
    usage = (await api.get('/api/v1/usage?group_by=day', headers=read)).json()
    await api.put('/api/v1/retention', json={'retention_days': 30}, headers=manage)
    assert (await api.get('/api/v1/retention', headers=read)).json()['awaiting_pruning'] == 1

    assert prune_round() == 1

    gone = await api.get(f'/api/v1/generations/{old["id"]}', headers=read)
    assert gone.status_code == 410
    error = gone.json()['error']
    assert error['code'] == 'pruned'
    assert 'data-retention setting (raw generations are kept 30 days)' in error['message']
    assert 'still count in every total' in error['message']
    assert (await api.get(f'/api/v1/generations/{kept["id"]}', headers=read)).status_code == 200
    unknown = await api.get(f'/api/v1/generations/{new_generation_id()}', headers=read)
    assert unknown.status_code == 404 and unknown.json()['error']['code'] == 'not_found'
    assert (await api.get('/api/v1/generations/gen-nothing', headers=read)).status_code == 404
    assert (await api.get('/api/v1/credits', headers=read)).json() == credits
    assert (await api.get('/api/v1/usage?group_by=day', headers=read)).json() == usage
    status = (await api.get('/api/v1/retention', headers=read)).json()
    assert status['pruned_generations'] == 1 and status['awaiting_pruning'] == 0
    assert status['pruned_at'] is not None
    assert datetime.fromisoformat(status['pruned_before']) in {cutoff_for(30, now), cutoff_for(30, utcnow())}


def _iso(moment) -> str:
    return moment.isoformat().replace('+00:00', 'Z')
