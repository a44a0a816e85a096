from datetime import UTC, datetime, timedelta

import pytest
from nicegui.testing import User
from sqlmodel import func, select

from components.eco_panel import unbroken
from services import db
from services.account.settings import set_eco_baseline
from services.catalog import get_catalog
from services.eco.impact import eco_impact
from services.models import Account, Generation
from services.units import carbon_text, energy_text
from tests.support import factories

L70 = 'meta-llama/llama-3.1-70b-instruct'


def _seed(account_id, model=L70, count=30):
    now = datetime.now(UTC)
    offer = factories.offer_of(model)
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        for i in range(count):
            factories.generation(
                account,
                session=session,
                offer=offer,
                prompt_tokens=500,
                completion_tokens=200 + i,
                created_at=now - timedelta(hours=i),
            )


async def test_eco_equals_the_panel_service_and_the_stamped_generations(api, account_id, make_key):
    _seed(account_id)
    response = await api.get('/api/v1/eco?days=30&baseline=openai/gpt-4o', headers=make_key('read'))
    assert response.status_code == 200
    body = response.json()
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        panel = eco_impact(session, account, baseline='openai/gpt-4o')
        columns = ('energy_wh', 'carbon_g', 'embodied_g')
        stamped = session.exec(select(*(func.sum(getattr(Generation, c)) for c in columns))).one()
    for column, total in zip(columns, stamped, strict=True):
        assert body[column]['value'] == pytest.approx(total, rel=1e-9)
        assert body[column] == pytest.approx(getattr(panel, column).as_dict(), rel=1e-12)
        assert body['compared'][column] == pytest.approx(body[column], rel=1e-12)
    assert 0 < body['embodied_g']['value'] < body['carbon_g']['value']
    for column in columns:
        assert body['baseline'][column] == pytest.approx(
            getattr(panel.comparison, f'baseline_{column}').as_dict(), rel=1e-12
        )
    assert body['baseline']['model'] == 'openai/gpt-4o' and body['baseline']['name'] == 'GPT-4o'
    assert (body['energy_verdict'], body['carbon_verdict']) == (panel.energy_verdict, panel.carbon_verdict)
    assert body['summary'] == panel.summary
    assert body['requests'] == body['compared']['requests'] == 30
    assert [c['code'] for c in body['caveats']] == panel.caveats
    assert {'small_sample', 'baseline_estimated'} <= {c['code'] for c in body['caveats']}
    assert body['reduced_confidence'] is True
    assert body['caveats'][0]['link'].startswith('/eco/methodology#')
    assert body['methodology_versions'] == panel.methodology_versions and body['not_comparable_versions'] == []


@pytest.mark.parametrize(
    ('model', 'baseline', 'energy_verdict', 'opening'),
    [
        ('meta-llama/llama-3.1-8b-instruct', 'meta-llama/llama-3.1-405b-instruct', 'lower', 'You saved '),
        ('meta-llama/llama-3.1-405b-instruct', 'meta-llama/llama-3.1-8b-instruct', 'higher', 'You used '),
        (L70, 'openai/gpt-4o', 'within', "Your energy use is within the uncertainty of GPT-4o's"),
    ],
)
async def test_the_api_and_the_panel_say_the_same_sentence(
    user: User, api, account_id, make_key, model, baseline, energy_verdict, opening
):
    _seed(account_id, model, count=120)
    with db.session_scope() as session:
        set_eco_baseline(session, session.get(Account, account_id), baseline)
    body = (await api.get('/api/v1/eco', headers=make_key('read'))).json()
    assert body['baseline']['model'] == baseline
    assert body['energy_verdict'] == energy_verdict
    assert body['summary'].startswith(opening)
    await user.open('/dashboard')
    await user.should_see(unbroken(body['summary']))
    await user.should_see(energy_text(body['energy_wh']['value']))
    await user.should_see(carbon_text(body['embodied_g']['value']))
    await user.should_see(energy_text(body['baseline']['energy_wh']['value']))


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


async def test_an_empty_window_says_no_usage(api, account_id, make_key):
    body = (await api.get('/api/v1/eco', headers=make_key('read'))).json()
    assert body['summary'] == 'No usage in this window yet.'
    assert (body['energy_verdict'], body['carbon_verdict']) == ('no_usage', 'no_usage')
    assert body['embodied_g'] == {'low': 0, 'value': 0, 'high': 0}


async def test_models_lists_energy_and_carbon_per_offer(api, account_id, make_key):
    response = await api.get('/api/v1/models', headers=make_key('read'))
    assert response.status_code == 200
    items = {m['id']: m for m in response.json()['data'] if m['id'] != 'lowrouter/auto'}
    assert set(items) == set(get_catalog().models)
    llama = items[L70]
    assert llama['params_status'] == 'verified'
    for offer in llama['offers']:
        carbon, embodied = offer['carbon_g_per_1k_tokens'], offer['embodied_g_per_1k_tokens']
        assert 0 < embodied['value'] < carbon['value']
        assert embodied['low'] <= embodied['value'] <= embodied['high']
        # carbon = electricity (energy x the region's grid) + manufacturing
        assert carbon['value'] - embodied['value'] == pytest.approx(
            offer['energy_wh_per_1k_output_tokens']['value'] * offer['grid_intensity_g_per_kwh'] / 1000
        )


async def test_models_show_the_review_band_and_vendor_figures_beside_the_estimate(api, make_key):
    from services.eco import calibration as eco_calibration
    from services.eco import estimate as eco

    response = await api.get('/api/v1/models', headers=make_key('read'))
    assert response.status_code == 200
    items = {m['id']: m for m in response.json()['data'] if m['id'] != 'lowrouter/auto'}
    catalog = get_catalog()
    for model_id, item in items.items():
        band = item['review_band']
        model = catalog.models[model_id]
        assert band['central_wh_per_1k_output_tokens'] == pytest.approx(eco.central_wh_per_1k_output(model))
        inside = band['low_wh_per_1k_output_tokens'] <= band['central_wh_per_1k_output_tokens']
        inside &= band['central_wh_per_1k_output_tokens'] <= band['high_wh_per_1k_output_tokens']
        assert (band['status'] == 'inside') == inside
        assert (band['caveat'] is None) == inside
        assert [d['figure'] for d in item['vendor_disclosures']] == [
            d.figure for d in eco_calibration.disclosures_for(model_id)
        ]
    assert items['openai/gpt-5']['review_band']['status'] == 'below'
    assert 'estimates 30-90B' in items['openai/gpt-5']['review_band']['caveat']
    assert items['google/gemini-2.5-pro']['vendor_disclosures'][0]['figure'] == 0.24
    bedrock = [o for o in items['mistral/mixtral-8x7b-instruct']['offers'] if o['region'] == 'ca-central-1']
    assert bedrock and all(o['grid_basis'] == 'region' and o['grid_intensity_g_per_kwh'] == 30.51 for o in bedrock)
