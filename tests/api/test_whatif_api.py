"""The what-if preview over HTTP, with real keys: the same service as the Auto-routing page (refusals first),
for the account defaults and for a key's override, saved or draft; nothing is ever written."""

from sqlmodel import func, select

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from services.models import Account, RoutingPolicy
from services.money import decimal_string
from services.routing import policies
from services.routing.whatif import preview
from services.usage.ingest import record_generation

URL = '/api/v1/routing/what-if'
MINI = {'model': 'openai/gpt-4o-mini', 'provider': 'openai', 'region': 'us-east-1'}
SMALL = {'model': 'mistral/mistral-small', 'provider': 'mistral', 'region': 'fr-par'}
FOUR_O = {'model': 'openai/gpt-4o', 'provider': 'openai', 'region': 'us-east-1'}
ONLY_MISTRAL = {'strategy': 'fixed_provider', 'fixed_provider': 'mistral'}


def _seed(account_id: int) -> tuple[int, int]:
    """Two keys' traffic and one request without a key: 3 on gpt-4o-mini (key a), 2 on mistral-small (key b)."""
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        a = create_key(session, account, name='a', scopes=['inference']).key.id
        b = create_key(session, account, name='b', scopes=['inference']).key.id
        for fields, key_id, count in ((MINI, a, 3), (SMALL, b, 2), (FOUR_O, None, 1)):
            for i in range(count):
                data = fields | {'prompt_tokens': 1000 + i, 'completion_tokens': 300}
                record_generation(session, account, data, api_key_id=key_id)
    return a, b


def _preview(account_id: int, **drafts):
    with db.read_scope() as session:
        return preview(session, session.get(Account, account_id), **drafts)


def _policies() -> int:
    with db.read_scope() as session:
        return session.exec(select(func.count()).select_from(RoutingPolicy)).one()


def _same_as_service(answer: dict, result) -> None:
    for side in ('before', 'after'):
        totals = getattr(result, side)
        assert answer[side] == {
            'requests': totals.requests,
            'cost': decimal_string(totals.cost_micros),
            'energy_wh': totals.energy_wh,
            'carbon_g': totals.carbon_g,
        }
    assert answer['moved_requests'] == result.moved_requests
    assert answer['unroutable_requests'] == result.unroutable_requests
    assert answer['moves'] == result.moves
    assert answer['change_percent'] == {
        'cost': result.change('cost_micros'),
        'energy': result.change('energy_wh'),
        'carbon': result.change('carbon_g'),
    }


async def test_the_saved_defaults_and_a_draft_with_refusals_first(api, make_key, account_id):
    _seed(account_id)
    manage = make_key('manage')
    saved = await api.post(URL, json={}, headers=manage)
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert list(body)[:2] == ['refused_requests', 'replayed_requests']
    assert (body['refused_requests'], body['replayed_requests'], body['days'], body['key_id']) == (0, 6, 7, None)
    _same_as_service(body, _preview(account_id, days=7))
    with db.read_scope() as session:
        assert body['settings'] == policies.account_settings(session, session.get(Account, account_id))

    draft = await api.post(URL, json={'days': 30, 'policy': ONLY_MISTRAL}, headers=manage)
    assert draft.status_code == 200, draft.text
    body = draft.json()
    result = _preview(account_id, days=30, account_policy=ONLY_MISTRAL)
    assert (body['refused_requests'], body['replayed_requests']) == result.refused() == (4, 6)
    assert body['days'] == 30 and body['currency'] == 'USD'
    assert body['settings'] == policies.complete_settings(ONLY_MISTRAL)
    _same_as_service(body, result)
    assert _policies() == 0  # a preview writes nothing


async def test_a_key_override_saved_or_draft_counts_that_keys_refusals(api, make_key, account_id):
    a, b = _seed(account_id)
    manage = make_key('manage')
    moved = {'strategy': 'fixed_provider', 'fixed_provider': 'azure-openai'}
    answer = await api.post(URL, json={'key_id': a, 'policy': moved}, headers=manage)
    assert answer.status_code == 200, answer.text
    result = _preview(account_id, days=7, key_policies={a: moved})
    body = answer.json()
    assert (body['refused_requests'], body['replayed_requests']) == result.refused(a) == (0, 3)
    assert body['moved_requests'] == 3 and body['moves'][0]['to'].startswith('azure-openai · ')
    assert body['settings']['fixed_provider'] == 'azure-openai' and body['key_id'] == a
    _same_as_service(body, result)

    unused = await api.post(URL, json={'key_id': b, 'policy': {'fixed_provider': 'openai'}}, headers=manage)
    assert unused.json()['refused_requests'] == 0  # the inherited strategy (cheapest) does not use the provider
    refusing = await api.post(
        URL, json={'key_id': b, 'policy': {'strategy': 'fixed_provider', 'fixed_provider': 'openai'}}, headers=manage
    )
    body = refusing.json()
    assert (body['refused_requests'], body['replayed_requests']) == (2, 2)
    assert body['unroutable_requests'] == 2
    assert _policies() == 0

    with db.session_scope() as session:  # a saved override is what the preview without a draft replays
        policies.set_key_override(session, session.get(Account, account_id), b, {'strategy': 'lowest_carbon'})
    stored = await api.post(URL, json={'key_id': b}, headers=manage)
    assert stored.status_code == 200
    _same_as_service(stored.json(), _preview(account_id, days=7))
    assert stored.json()['settings']['strategy'] == 'lowest_carbon'


async def test_bad_input_is_refused_field_first(api, make_key, account_id):
    a, _ = _seed(account_id)
    manage = make_key('manage')
    with db.session_scope() as session:
        foreign = create_key(session, create_account(session, name='Other'), name='x', scopes=['read']).key.id
    for body, status, start in (
        ({'policy': {'strategy': 'prefer_region'}}, 422, 'policy.prefer_region: choose the region to prefer'),
        ({'policy': {'strategy': 'fixed_provider'}}, 422, 'policy.fixed_provider: choose the provider'),
        ({'key_id': a, 'policy': {'strategy': 'prefer_region'}}, 422, 'policy.prefer_region: choose the region'),
        ({'policy': {'prefer_region': 'moon-1'}}, 422, "policy.prefer_region: unknown region 'moon-1'"),
        ({'policy': {'auto_pool': []}}, 422, 'policy.auto_pool: the auto pool needs at least one model'),
        ({'policy': {'colour': 'green'}}, 422, 'policy.colour: unknown field'),
        ({'days': 14}, 422, 'days: '),
        ({'days': '7'}, 422, 'days: '),
        ({'key_id': '1'}, 422, 'key_id: '),
        ({'key_id': 0}, 422, 'key_id: '),
        ({'window': 7}, 422, 'window: unknown field'),
        ({'key_id': foreign}, 404, f'no key {foreign} in this account'),
        ({'key_id': 999_999, 'policy': {'strategy': 'cheapest'}}, 404, 'no key 999999 in this account'),
    ):
        answer = await api.post(URL, json=body, headers=manage)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()['error']['message'].startswith(start), (body, answer.json())
    assert _policies() == 0


async def test_what_if_needs_the_manage_scope(api, make_key, account_id):
    assert (await api.post(URL, json={})).status_code == 401
    for scope in ('read', 'inference', 'ingest'):
        answer = await api.post(URL, json={}, headers=make_key(scope))
        assert answer.status_code == 403 and answer.json()['error']['code'] == 'forbidden'
