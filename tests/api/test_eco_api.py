from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from services import db
from services.catalog import get_catalog
from services.eco_impact import eco_impact
from services.ingest import record_generation
from services.models import Account, Generation


def _seed(account_id, model='meta-llama/llama-3.1-70b-instruct', count=30):
    now = datetime.now(UTC)
    offer = get_catalog().offers_for(model)[0]
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        for i in range(count):
            record_generation(
                session,
                account,
                {
                    'model': model,
                    'provider': offer.provider,
                    'region': offer.region,
                    'prompt_tokens': 500,
                    'completion_tokens': 200 + i,
                    'created_at': now - timedelta(hours=i),
                },
            )


async def test_eco_equals_the_panel_service_and_the_stamped_generations(api, account_id, make_key):
    _seed(account_id)
    response = await api.get('/api/v1/eco?days=30&baseline=openai/gpt-4o', headers=make_key('read'))
    assert response.status_code == 200
    body = response.json()
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        panel = eco_impact(session, account, baseline='openai/gpt-4o')
        stamped = session.exec(select(func.sum(Generation.carbon_g), func.sum(Generation.energy_wh))).one()
    assert body['carbon_g']['value'] == pytest.approx(panel.carbon_g.value, rel=1e-12)
    assert body['carbon_g']['value'] == pytest.approx(stamped[0], rel=1e-9)
    assert body['energy_wh']['value'] == pytest.approx(stamped[1], rel=1e-9)
    assert body['verdict'] == panel.verdict == 'saved'
    assert body['summary'].startswith('You saved')
    assert body['requests'] == 30
    assert {c['code'] for c in body['caveats']} == {'small_sample', 'baseline_estimated'}
    assert body['reduced_confidence'] is True
    assert body['caveats'][0]['link'].startswith('/eco/methodology#')


async def test_eco_refuses_bad_input_and_missing_scope(api, account_id, make_key):
    assert (await api.get('/api/v1/eco')).status_code == 401
    refused = await api.get('/api/v1/eco', headers=make_key('ingest'))
    assert refused.status_code == 403
    assert refused.json()['error']['code'] == 'forbidden'
    bad = await api.get('/api/v1/eco?days=0', headers=make_key('read'))
    assert bad.status_code == 422
    assert 'days' in bad.json()['error']['message']
    unknown = await api.get('/api/v1/eco?baseline=nobody/nothing', headers=make_key('read'))
    assert unknown.status_code == 422


async def test_models_lists_energy_and_carbon_per_offer(api, account_id, make_key):
    response = await api.get('/api/v1/models', headers=make_key('read'))
    assert response.status_code == 200
    items = {m['id']: m for m in response.json()['items']}
    assert set(items) == set(get_catalog().models)
    llama = items['meta-llama/llama-3.1-70b-instruct']
    assert llama['params_status'] == 'verified'
    for offer in llama['offers']:
        assert offer['carbon_g_per_1k_tokens']['value'] == pytest.approx(
            offer['energy_wh_per_1k_output_tokens']['value'] * offer['grid_intensity_g_per_kwh'] / 1000
        )
