"""The profile and the eco baseline over HTTP, with real keys: the values of Settings → Profile and
Settings → Eco baseline, through the same services, checked against the database."""

import re

from services import db
from services.account.settings import baseline_choices, money_has_moved
from services.billing.ledger import top_up
from services.catalog import get_catalog
from services.models import Account
from tests.support import factories

PROFILE = '/api/v1/profile'
BASELINE = '/api/v1/eco/baseline'


def _account(account_id: int) -> Account:
    with db.read_scope() as session:
        return session.get(Account, account_id)


def _top_up(account_id: int) -> None:
    with db.session_scope() as session:
        top_up(session, session.get(Account, account_id), '20.00', method='manual', idempotency_key='t1')


async def test_read_the_profile_as_stored(api, make_key, account_id):
    answer = await api.get(PROFILE, headers=make_key('read'))
    assert answer.status_code == 200
    account = _account(account_id)
    assert answer.json() == {
        'name': account.name,
        'email': None,
        'currency': 'USD',
        'currency_locked': False,
        'currencies': get_catalog().currencies,
        'timezone': 'Europe/Paris',
        'locale': None,
    }


async def test_the_locale_is_set_read_and_cleared_and_a_bad_one_writes_nothing(api, make_key, account_id):
    manage, read = make_key('manage'), make_key('read')
    answer = await api.patch(PROFILE, json={'locale': 'de-de'}, headers=manage)
    assert answer.status_code == 200, answer.text
    assert answer.json()['locale'] == 'de_DE' == _account(account_id).locale
    assert (await api.get(PROFILE, headers=read)).json()['locale'] == 'de_DE'

    for bad in ('klingon', 'xx_YY', '', '   ', 'de_DE; DROP TABLE account'):
        refused = await api.patch(PROFILE, json={'locale': bad, 'name': 'Changed'}, headers=manage)
        if bad.strip() == '':  # empty means "not chosen", like null
            assert refused.status_code == 200 and refused.json()['locale'] is None
            await api.patch(PROFILE, json={'locale': 'de_DE', 'name': 'API Co'}, headers=manage)
            continue
        assert refused.status_code == 422, (bad, refused.text)
        assert refused.json()['error']['code'] == 'invalid' and 'locale' in refused.json()['error']['message']
        account = _account(account_id)
        assert (account.locale, account.name) == ('de_DE', 'API Co')  # nothing written, not even the name

    cleared = await api.patch(PROFILE, json={'locale': None}, headers=manage)
    assert cleared.json()['locale'] is None and _account(account_id).locale is None


async def test_the_eco_summary_reads_in_the_accounts_locale(api, make_key, account_id):
    """The API's sentences follow the account's locale (decimal comma in de_DE); its fields stay plain numbers."""
    with db.session_scope() as session:
        owner = session.get(Account, account_id)
        factories.generations(owner, [{'prompt_tokens': 2_000, 'completion_tokens': 900}] * 3, session=session)
    read, manage = make_key('read'), make_key('manage')
    largest = (await api.get(BASELINE, headers=read)).json()['choices'][0]['id']
    await api.put(BASELINE, json={'model': largest}, headers=manage)  # far apart: a verdict with figures
    english = (await api.get('/api/v1/eco', headers=read)).json()
    await api.patch(PROFILE, json={'locale': 'de_DE'}, headers=manage)
    german = (await api.get('/api/v1/eco', headers=read)).json()
    numbers = re.compile(r'\d[\d.,]*\d|\d')
    name = english['baseline']['name']  # a model name such as 'Llama 3.1 405B' keeps its own dot
    english_numbers, german_numbers = (numbers.findall(x['summary'].replace(name, '')) for x in (english, german))
    assert english_numbers and len(english_numbers) == len(german_numbers)
    assert [n.replace(',', '#').replace('.', ',').replace('#', '.') for n in english_numbers] == german_numbers
    assert any(',' in n for n in german_numbers), german['summary']  # at least one decimal, now a comma
    assert {k: v for k, v in german.items() if k != 'summary'} == {k: v for k, v in english.items() if k != 'summary'}


async def test_change_the_profile_and_read_it_back(api, make_key, account_id):
    manage, read = make_key('manage'), make_key('read')
    changes = {'name': '  Acme Ltd ', 'email': 'Ops@Example.com', 'currency': 'eur', 'timezone': 'America/New_York'}
    answer = await api.patch(PROFILE, json=changes, headers=manage)
    assert answer.status_code == 200, answer.text
    account = _account(account_id)
    assert (account.name, account.email, account.currency, account.timezone) == (
        'Acme Ltd',
        'Ops@example.com',
        'EUR',
        'America/New_York',
    )
    assert answer.json() == (await api.get(PROFILE, headers=read)).json()
    assert answer.json()['email'] == 'Ops@example.com'

    only_zone = await api.patch(PROFILE, json={'timezone': 'Asia/Tokyo'}, headers=manage)
    assert only_zone.json()['name'] == 'Acme Ltd' and only_zone.json()['timezone'] == 'Asia/Tokyo'
    cleared = await api.patch(PROFILE, json={'email': None}, headers=manage)
    assert cleared.json()['email'] is None and _account(account_id).email is None
    assert (await api.patch(PROFILE, json={'email': ''}, headers=manage)).json()['email'] is None
    unchanged = await api.patch(PROFILE, json={}, headers=manage)
    assert unchanged.status_code == 200 and unchanged.json()['timezone'] == 'Asia/Tokyo'


async def test_the_currency_is_fixed_once_money_has_moved(api, make_key, account_id):
    manage = make_key('manage')
    _top_up(account_id)
    answer = await api.get(PROFILE, headers=make_key('read'))
    with db.read_scope() as session:
        assert answer.json()['currency_locked'] is money_has_moved(session, _account(account_id)) is True
    refused = await api.patch(PROFILE, json={'currency': 'EUR', 'name': 'Renamed'}, headers=manage)
    assert refused.status_code == 409
    error = refused.json()['error']
    assert error['code'] == 'currency_locked' and error['message'].startswith('currency: this account already has')
    account = _account(account_id)
    assert (account.currency, account.name) == ('USD', 'API Co')  # nothing written, not even the name
    same = await api.patch(PROFILE, json={'currency': 'usd', 'name': 'Renamed'}, headers=manage)
    assert same.status_code == 200 and _account(account_id).name == 'Renamed'


async def test_bad_profile_input_is_refused_field_first_and_writes_nothing(api, make_key, account_id):
    manage = make_key('manage')
    before = _account(account_id)
    for body, field in (
        ({'name': ''}, 'name'),
        ({'name': '   '}, 'name'),
        ({'name': 'x' * 121}, 'name'),
        ({'name': None}, 'name'),
        ({'email': 'not an address'}, 'email'),
        ({'currency': 'XXX'}, 'currency'),
        ({'timezone': 'Mars/Olympus_Mons'}, 'timezone'),
        ({'timezone': 'Europe/Paris', 'colour': 'green'}, 'colour'),
        ({'name': 'Fine', 'email': 'bad@'}, 'email'),
    ):
        answer = await api.patch(PROFILE, json=body, headers=manage)
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()['error']
        assert error['code'] == 'invalid' and error['message'].startswith(f'{field}: '), (body, error)
    assert (await api.patch(PROFILE, json=['name'], headers=manage)).status_code == 422
    after = _account(account_id)
    assert (after.name, after.email, after.currency, after.timezone) == (
        before.name,
        before.email,
        before.currency,
        before.timezone,
    )


async def test_profile_scopes(api, make_key, account_id):
    assert (await api.get(PROFILE)).status_code == 401
    assert (await api.get(PROFILE, headers=make_key('ingest'))).status_code == 403
    refused = await api.patch(PROFILE, json={'name': 'Read only'}, headers=make_key('read'))
    assert refused.status_code == 403 and refused.json()['error']['code'] == 'forbidden'
    assert (await api.put(BASELINE, json={'model': 'openai/gpt-4o-mini'}, headers=make_key('read'))).status_code == 403
    assert (await api.get(BASELINE, headers=make_key('inference'))).status_code == 403
    assert _account(account_id).name == 'API Co'
    assert _account(account_id).eco_baseline_model == 'openai/gpt-4o'


async def test_read_and_set_the_eco_baseline(api, make_key, account_id):
    read, manage = make_key('read'), make_key('manage')
    answer = await api.get(BASELINE, headers=read)
    assert answer.status_code == 200
    body = answer.json()
    assert body['model'] == _account(account_id).eco_baseline_model == 'openai/gpt-4o'
    assert body['name'] == get_catalog().models['openai/gpt-4o'].name
    choices = baseline_choices()
    assert [c['id'] for c in body['choices']] == [c['id'] for c in choices]
    first = body['choices'][0]
    assert first['energy_wh_per_1k_output_tokens'] == choices[0]['energy_wh'].as_dict()
    assert first['pue'] == choices[0]['pue']

    saved = await api.put(BASELINE, json={'model': 'mistral/mistral-small'}, headers=manage)
    assert saved.status_code == 200 and saved.json()['model'] == 'mistral/mistral-small'
    assert _account(account_id).eco_baseline_model == 'mistral/mistral-small'
    assert (await api.get(BASELINE, headers=read)).json() == saved.json()


async def test_bad_baseline_input_is_refused_and_writes_nothing(api, make_key, account_id):
    manage = make_key('manage')
    for body, start in (
        ({'model': 'acme/unknown'}, "model: unknown model 'acme/unknown'"),
        ({'model': ''}, 'model: unknown model'),
        ({'model': 42}, 'model: '),
        ({}, 'model: required'),
        ({'model': 'openai/gpt-4o-mini', 'extra': 1}, 'extra: unknown field'),
    ):
        answer = await api.put(BASELINE, json=body, headers=manage)
        assert answer.status_code == 422, body
        assert answer.json()['error']['message'].startswith(start), (body, answer.json())
    assert _account(account_id).eco_baseline_model == 'openai/gpt-4o'
