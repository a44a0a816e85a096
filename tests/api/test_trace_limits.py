"""Routing traces: new ones over the depth or size limit are refused; stored ones of any shape never break a page
or an answer."""

from nicegui.testing import User

from services import db
from services.catalog import get_catalog
from services.models import Account
from services.usage.ingest import GenerationIn, prepare_generation, store_generations
from services.usage.trace_limits import MAX_BYTES, MAX_DEPTH

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 812, 'completion_tokens': 240}


def nested(depth: int) -> dict:
    trace: dict = {}
    for _ in range(depth - 1):
        trace = {'next': trace}
    return trace


async def test_new_traces_past_the_depth_or_size_limit_are_refused(api, make_key):
    headers = make_key('ingest')
    deepest = await api.post('/api/v1/generations', json=GEN | {'routing_trace': nested(MAX_DEPTH)}, headers=headers)
    assert deepest.status_code == 201, deepest.text
    for trace, words in ((nested(MAX_DEPTH + 1), 'nested more than 16'), ({'x': 'y' * MAX_BYTES}, 'larger than')):
        refused = await api.post('/api/v1/generations', json=GEN | {'routing_trace': trace}, headers=headers)
        assert refused.status_code == 422 and refused.json()['error']['code'] == 'invalid', refused.text
        assert refused.json()['error']['message'].startswith(f'routing_trace: {words}')


async def test_a_stored_trace_hundreds_of_levels_deep_is_shown_as_omitted(user: User, api, account_id, make_key):
    generation_id = _stored(account_id, nested(400))  # recorded before the limit existed
    read = make_key('read')
    one = await api.get(f'/api/v1/generations/{generation_id}', headers=read)
    assert one.status_code == 200 and 'not shown' in one.json()['routing_trace']['omitted'], one.text
    listed = await api.get('/api/v1/generations', headers=read)
    assert listed.status_code == 200 and listed.json()['items'][0]['id'] == generation_id
    await user.open(f'/transactions/{generation_id}')
    await user.should_see('The routing trace is stored, but nested more than 16 levels deep')


async def test_a_stored_trace_of_any_shape_draws(user: User, account_id):
    odd = {
        'picked': 5,
        'candidates': [1, 'x', {'provider': {'a': 1}, 'status': ['?'], 'carbon_g_per_1k_tokens': 'lots'}],
        'attempts': [{'outcome': None}, 'x', {'provider': 'p'}],
        'strategy': None,
    }
    generation_id = _stored(account_id, odd)
    await user.open(f'/transactions/{generation_id}')
    await user.should_see('Routing trace')
    await user.should_see("{'a': 1}")
    await user.should_see('1 candidate offer considered')


def _stored(account_id: int, trace: dict) -> str:
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        row = prepare_generation(get_catalog(), account, GenerationIn(**GEN))
        row['routing_trace'] = trace
        store_generations(session, [row])
    return row['id']
