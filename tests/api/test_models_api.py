"""GET /api/v1/models in OpenAI's list shape, and GET /api/v1/models/{id}: in-process and with the official client."""

from datetime import UTC, datetime

import openai
import pytest

from services import db
from services.account.accounts import create_account
from services.catalog import AUTO_MODEL, get_catalog
from services.keys.api_keys import create_key
from services.models import Account
from services.routing.engine import DEFAULT_AUTO_POOL
from services.routing.policies import set_account_settings
from tests.browser.conftest import serve
from tests.conftest import fresh_database

MINI = 'openai/gpt-4o-mini'


def _midnight_utc(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


async def test_the_list_has_openai_fields_and_keeps_the_catalog_fields(api, make_key):
    headers = make_key('read')
    body = (await api.get('/api/v1/models', headers=headers)).json()
    assert body['object'] == 'list' and body['methodology_version']
    catalog = get_catalog()
    assert [m['id'] for m in body['data']] == [AUTO_MODEL, *catalog.models]
    for item in body['data'][1:]:
        model = catalog.models[item['id']]
        assert item['object'] == 'model'
        assert item['created'] == _midnight_utc(model.as_of) == 1793491200  # 2026-11-01, the rows' as_of
        assert item['owned_by'] == item['vendor'] == model.vendor
        assert (item['name'], item['params_status']) == (model.name, model.params_status)
        assert [(o['provider'], o['region']) for o in item['offers']] == [
            (o.provider, o.region) for o in catalog.offers_for(model.id)
        ]
    mini = next(m for m in body['data'] if m['id'] == MINI)
    cheapest = catalog.cheapest_offer(MINI)
    offer = next(o for o in mini['offers'] if (o['provider'], o['region']) == (cheapest.provider, cheapest.region))
    assert offer['input_usd_per_mtok'] == str(cheapest.input_usd_per_mtok)
    assert (await api.get('/api/v1/models', headers=headers)).json() == body  # `created` is stable


async def test_auto_is_listed_with_the_pool_in_force_for_the_key(api, account_id, make_key):
    headers = make_key('inference')
    auto = (await api.get('/api/v1/models', headers=headers)).json()['data'][0]
    assert auto['id'] == AUTO_MODEL and auto['owned_by'] == 'lowrouter' and auto['object'] == 'model'
    assert auto['created'] == max(_midnight_utc(m.as_of) for m in get_catalog().models.values())
    assert auto['auto_pool'] == list(DEFAULT_AUTO_POOL) and auto['strategy'] == 'cheapest'
    assert 'auto pool' in auto['description']
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        set_account_settings(session, account, {'strategy': 'lowest_carbon', 'auto_pool': [MINI]})
    one = (await api.get(f'/api/v1/models/{AUTO_MODEL}', headers=headers)).json()
    assert (one['auto_pool'], one['strategy']) == ([MINI], 'lowest_carbon')
    with db.session_scope() as session:  # no pool of its own (null): the default pool, as routing reads it
        set_account_settings(session, session.get(Account, account_id), {'auto_pool': None})
    answer = await api.get('/api/v1/models', headers=headers)
    assert answer.status_code == 200 and answer.json()['data'][0]['auto_pool'] == list(DEFAULT_AUTO_POOL)


async def test_one_model_by_id_and_an_unknown_id(api, make_key):
    headers = make_key('read')
    listed = (await api.get('/api/v1/models', headers=headers)).json()['data']
    one = await api.get(f'/api/v1/models/{MINI}', headers=headers)
    assert one.status_code == 200 and one.json() == next(m for m in listed if m['id'] == MINI)
    unknown = await api.get('/api/v1/models/acme/nothing', headers=headers)
    assert unknown.status_code == 404
    assert unknown.json() == {
        'error': {'code': 'not_found', 'message': "no model 'acme/nothing'; see GET /api/v1/models"}
    }


@pytest.mark.parametrize(('scopes', 'status'), [(('read',), 200), (('inference',), 200), (('ingest', 'manage'), 403)])
async def test_read_or_inference_keys_may_list(api, make_key, scopes, status):
    headers = make_key(*scopes)
    for path in ('/api/v1/models', f'/api/v1/models/{MINI}'):
        response = await api.get(path, headers=headers)
        assert response.status_code == status, response.text
    if status == 403:
        assert response.json()['error'] == {
            'code': 'forbidden',
            'message': 'this key lacks the read or the inference scope',
        }
    assert (await api.get('/api/v1/models')).status_code == 401


def test_the_official_openai_client_lists_and_retrieves(tmp_path):
    with fresh_database(tmp_path) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Client Co')
            secret = create_key(session, account, name='app', scopes=['inference']).secret
        for base in serve(url, '--no-demo'):
            client = openai.OpenAI(base_url=f'{base}/api/v1', api_key=secret, max_retries=0)
            ids = [m.id for m in client.models.list()]
            assert ids == [AUTO_MODEL, *get_catalog().models]
            mini = client.models.retrieve(MINI)  # the client sends the slash as %2F
            assert (mini.id, mini.object, mini.owned_by) == (MINI, 'model', 'OpenAI')
            assert mini.created == _midnight_utc(get_catalog().models[MINI].as_of)
            assert client.models.retrieve(AUTO_MODEL).owned_by == 'lowrouter'
            with pytest.raises(openai.NotFoundError) as missing:
                client.models.retrieve('acme/nothing')
            assert missing.value.body == {
                'code': 'not_found',
                'message': "no model 'acme/nothing'; see GET /api/v1/models",
            }
