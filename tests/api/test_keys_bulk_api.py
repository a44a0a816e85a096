"""Bulk key edits over HTTP, with real keys: the keys page's bulk actions through the same service, all or
nothing, checked against the database."""

from sqlmodel import select

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import SCOPES, create_key
from services.models import Account, ApiKey

URL = '/api/v1/keys/bulk'


def _keys(account_id: int, *names: str, **fields) -> list[int]:
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        return [create_key(session, account, name=n, scopes=['inference'], **fields).key.id for n in names]


def _stored(*key_ids: int) -> list[tuple]:
    """What each key holds, to compare before and after."""
    with db.read_scope() as session:
        rows = session.exec(select(ApiKey).where(ApiKey.id.in_(key_ids)).order_by(ApiKey.id)).all()
        return [(k.id, list(k.scopes), k.spend_limit_micros, k.revoked_at) for k in rows]


async def test_add_and_remove_a_scope_on_several_keys(api, make_key, account_id):
    manage = make_key(*SCOPES)  # a key grants only what it holds, so this one holds every scope
    ids = _keys(account_id, 'one', 'two', 'three')
    answer = await api.post(
        URL, json={'key_ids': ids + [ids[0]], 'action': 'add_scope', 'scope': 'read'}, headers=manage
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body['action'] == 'add_scope' and body['changed'] == 3
    assert [k['id'] for k in body['items']] == ids and all(k['scopes'] == ['inference', 'read'] for k in body['items'])
    assert [scopes for _, scopes, _, _ in _stored(*ids)] == [['inference', 'read']] * 3
    listed = {k['id']: k for k in (await api.get('/api/v1/keys', headers=manage)).json()['items']}
    assert body['items'] == [listed[i] for i in ids]  # the same shape as the keys list

    removed = await api.post(URL, json={'key_ids': ids[:2], 'action': 'remove_scope', 'scope': 'inference'},
                             headers=manage)  # fmt: skip
    assert removed.status_code == 200 and removed.json()['changed'] == 2
    assert [scopes for _, scopes, _, _ in _stored(*ids)] == [['read'], ['read'], ['inference', 'read']]


async def test_set_and_remove_the_monthly_limit(api, make_key, account_id):
    manage = make_key(*SCOPES)  # a key grants only what it holds, so this one holds every scope
    ids = _keys(account_id, 'one', 'two')
    answer = await api.post(URL, json={'key_ids': ids, 'action': 'set_limit', 'spend_limit': '25.5'}, headers=manage)
    assert answer.status_code == 200, answer.text
    assert [limit for _, _, limit, _ in _stored(*ids)] == [25_500_000, 25_500_000]
    assert [k['spend_limit'] for k in answer.json()['items']] == ['25.500000', '25.500000']
    cleared = await api.post(URL, json={'key_ids': ids, 'action': 'set_limit', 'spend_limit': None}, headers=manage)
    assert cleared.status_code == 200 and [k['spend_limit'] for k in cleared.json()['items']] == [None, None]
    assert [limit for _, _, limit, _ in _stored(*ids)] == [None, None]


async def test_revoke_several_keys_and_the_revoked_stay_out_of_other_actions(api, make_key, account_id):
    manage = make_key(*SCOPES)  # a key grants only what it holds, so this one holds every scope
    ids = _keys(account_id, 'one', 'two', 'three')
    answer = await api.post(URL, json={'key_ids': ids[:2], 'action': 'revoke'}, headers=manage)
    assert answer.status_code == 200 and answer.json()['changed'] == 2
    assert all(k['status'] == 'revoked' and k['revoked_at'] for k in answer.json()['items'])
    stored = _stored(*ids)
    assert [revoked is not None for *_, revoked in stored] == [True, True, False]
    again = await api.post(URL, json={'key_ids': ids[:1], 'action': 'revoke'}, headers=manage)
    assert again.status_code == 200 and _stored(*ids) == stored  # revoking twice changes nothing

    refused = await api.post(URL, json={'key_ids': [ids[2], ids[0]], 'action': 'add_scope', 'scope': 'read'},
                             headers=manage)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()['error']['message'] == 'keys: one is revoked; leave it out of the selection'
    assert _stored(*ids) == stored  # the first key, which could change, did not: all or nothing


async def test_all_or_nothing_when_one_key_refuses(api, make_key, account_id):
    manage = make_key(*SCOPES)  # a key grants only what it holds, so this one holds every scope
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        both = create_key(session, account, name='both', scopes=['inference', 'read']).key.id
        single = create_key(session, account, name='single', scopes=['read']).key.id
        foreign = create_key(session, create_account(session, name='Other'), name='x', scopes=['read']).key.id
    before = _stored(both, single, foreign)
    for body, status, message in (
        ({'key_ids': [both, single], 'action': 'remove_scope', 'scope': 'read'}, 422,
         'scopes: single would be left without any scope'),
        ({'key_ids': [both, foreign], 'action': 'revoke'}, 404, f'no key {foreign} in this account'),
        ({'key_ids': [both, 999_999], 'action': 'set_limit', 'spend_limit': '5'}, 404, 'no key 999999 in this account'),
    ):  # fmt: skip
        answer = await api.post(URL, json=body, headers=manage)
        assert answer.status_code == status, (body, answer.text)
        assert answer.json()['error']['message'] == message
    assert _stored(both, single, foreign) == before


async def test_a_key_cannot_grant_more_than_it_holds(api, account_id):
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        limited = create_key(session, account, name='limited', scopes=['manage', 'read'], spend_limit='10.00')
        target = create_key(session, account, name='target', scopes=['read'], spend_limit='5.00').key.id
    headers = {'Authorization': f'Bearer {limited.secret}'}
    before = _stored(target)
    for body, message in (
        ({'key_ids': [target], 'action': 'set_limit', 'spend_limit': '50.00'}, 'spend_limit: 50.00 is more than'),
        ({'key_ids': [target], 'action': 'set_limit', 'spend_limit': None}, 'spend_limit: this key is limited'),
        ({'key_ids': [target], 'action': 'add_scope', 'scope': 'ingest'}, 'scopes: this key holds only'),
    ):
        answer = await api.post(URL, json=body, headers=headers)
        assert answer.status_code == 403, (body, answer.text)
        assert answer.json()['error']['message'].startswith(message), answer.json()
    assert _stored(target) == before
    fine = await api.post(URL, json={'key_ids': [target], 'action': 'set_limit', 'spend_limit': '7'}, headers=headers)
    assert fine.status_code == 200 and _stored(target)[0][2] == 7_000_000


async def test_bad_input_is_refused_field_first_and_writes_nothing(api, make_key, account_id):
    manage = make_key(*SCOPES)  # a key grants only what it holds, so this one holds every scope
    ids = _keys(account_id, 'one', 'two')
    before = _stored(*ids)
    for body, start in (
        ({'key_ids': ids, 'action': 'add_scope'}, 'scope: required for add_scope'),
        ({'key_ids': ids, 'action': 'revoke', 'scope': 'read'}, 'scope: only for add_scope and remove_scope'),
        ({'key_ids': ids, 'action': 'set_limit'}, 'spend_limit: required for set_limit'),
        ({'key_ids': ids, 'action': 'revoke', 'spend_limit': '5'}, 'spend_limit: only for set_limit'),
        ({'key_ids': ids, 'action': 'set_limit', 'spend_limit': 'lots'}, 'spend_limit: '),
        ({'key_ids': ids, 'action': 'set_limit', 'spend_limit': 'NaN'}, 'spend_limit: '),
        ({'key_ids': ids, 'action': 'set_limit', 'spend_limit': '-5'}, 'spend_limit: must be more than 0'),
        ({'key_ids': ids, 'action': 'set_limit', 'spend_limit': '1.0000001'}, 'spend_limit: '),
        ({'key_ids': ids, 'action': 'set_limit', 'spend_limit': 5}, 'spend_limit: '),
        ({'key_ids': ids, 'action': 'add_scope', 'scope': 'admin'}, 'scope: '),
        ({'key_ids': ids, 'action': 'rename'}, 'action: '),
        ({'key_ids': [], 'action': 'revoke'}, 'key_ids: '),
        ({'key_ids': ['1'], 'action': 'revoke'}, 'key_ids.0: '),
        ({'key_ids': [0], 'action': 'revoke'}, 'key_ids.0: '),
        ({'action': 'revoke'}, 'key_ids: required'),
        ({'key_ids': ids, 'action': 'revoke', 'colour': 'red'}, 'colour: unknown field'),
    ):
        answer = await api.post(URL, json=body, headers=manage)
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()['error']
        assert error['code'] == 'invalid' and error['message'].startswith(start), (body, error)
    assert _stored(*ids) == before


async def test_bulk_edits_need_the_manage_scope(api, make_key, account_id):
    ids = _keys(account_id, 'one')
    before = _stored(*ids)
    assert (await api.post(URL, json={'key_ids': ids, 'action': 'revoke'})).status_code == 401
    for scope in ('read', 'inference', 'ingest'):
        answer = await api.post(URL, json={'key_ids': ids, 'action': 'revoke'}, headers=make_key(scope))
        assert answer.status_code == 403, scope
    assert _stored(*ids) == before
