from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import select

from services import db
from services.keys.api_keys import hash_secret
from services.models import ApiKey

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 100, 'completion_tokens': 50}
ALL_SCOPES = ('inference', 'ingest', 'read', 'manage')
ENDPOINTS = {
    'read': ('GET', '/api/v1/credits', None),
    'ingest': ('POST', '/api/v1/generations', GEN),
    'manage': ('GET', '/api/v1/keys', None),
}


async def _call(api, method, path, body, headers):
    return await api.request(method, path, json=body, headers=headers)


async def test_each_scope_is_allowed_with_it_and_refused_without(api, make_key):
    for scope, (method, path, body) in ENDPOINTS.items():
        allowed = await _call(api, method, path, body, make_key(scope))
        assert allowed.status_code in (200, 201), (scope, allowed.text)
        others = [s for s in ('inference', 'ingest', 'read', 'manage') if s != scope]
        refused = await _call(api, method, path, body, make_key(*others))
        assert refused.status_code == 403, scope
        assert refused.json()['error']['code'] == 'forbidden'


async def test_missing_and_wrong_keys_are_401(api, make_key):
    make_key('read')
    for headers in ({}, {'Authorization': 'Bearer lr-not-a-key'}, {'Authorization': 'Basic abc'}):
        response = await api.get('/api/v1/credits', headers=headers)
        assert response.status_code == 401
        assert response.json()['error']['code'] == 'unauthorized'


async def test_create_through_the_api_shows_the_secret_once(api, make_key):
    manage = make_key(*ALL_SCOPES)  # a key grants only what it holds
    created = await api.post(
        '/api/v1/keys', json={'name': 'ci', 'scopes': ['read'], 'spend_limit': '25.00'}, headers=manage
    )
    assert created.status_code == 201
    body = created.json()
    assert body['secret'].startswith('lr-') and len(body['secret']) >= 35
    assert body['spend_limit'] == '25.000000'
    listed = (await api.get('/api/v1/keys', headers=manage)).json()['items']
    assert all('secret' not in k for k in listed)
    assert (await api.get('/api/v1/credits', headers={'Authorization': f'Bearer {body["secret"]}'})).status_code == 200
    bad = await api.post('/api/v1/keys', json={'name': 'x', 'scopes': []}, headers=manage)
    assert bad.status_code == 422 and 'scopes' in bad.json()['error']['message']


async def test_rotate_keeps_the_key_and_ends_the_old_secret_after_the_grace_period(api, make_key):
    manage = make_key(*ALL_SCOPES)  # a key grants only what it holds
    old = (await api.post('/api/v1/keys', json={'name': 'app', 'scopes': ['ingest', 'read']}, headers=manage)).json()
    old_headers = {'Authorization': f'Bearer {old["secret"]}'}
    await api.post('/api/v1/generations', json=GEN, headers=old_headers)
    rotated = (await api.post(f'/api/v1/keys/{old["id"]}/rotate', json={'grace': '1h'}, headers=manage)).json()
    new_headers = {'Authorization': f'Bearer {rotated["secret"]}'}
    assert rotated['id'] == old['id'] and rotated['name'] == 'app' and rotated['scopes'] == ['ingest', 'read']
    assert rotated['usage_this_month']['requests'] == 1  # history kept
    assert (await api.get('/api/v1/credits', headers=old_headers)).status_code == 200  # within the grace period
    assert (await api.get('/api/v1/credits', headers=new_headers)).status_code == 200
    with db.session_scope() as session:  # the hour passes
        key = session.get(ApiKey, old['id'])
        key.previous_secret_valid_until = datetime.now(UTC) - timedelta(seconds=1)
    assert (await api.get('/api/v1/credits', headers=old_headers)).status_code == 401
    assert (await api.get('/api/v1/credits', headers=new_headers)).status_code == 200
    again = (await api.post(f'/api/v1/keys/{old["id"]}/rotate', headers=manage)).json()  # grace 'none'
    assert (await api.get('/api/v1/credits', headers=new_headers)).status_code == 401
    assert (await api.get('/api/v1/credits', headers={'Authorization': f'Bearer {again["secret"]}'})).status_code == 200


async def test_revoke_and_expiry_stop_a_key_at_once(api, make_key):
    manage = make_key(*ALL_SCOPES)  # a key grants only what it holds
    victim = (await api.post('/api/v1/keys', json={'name': 'v', 'scopes': ['read']}, headers=manage)).json()
    headers = {'Authorization': f'Bearer {victim["secret"]}'}
    revoked = await api.post(f'/api/v1/keys/{victim["id"]}/revoke', headers=manage)
    assert revoked.json()['status'] == 'revoked'
    assert (await api.get('/api/v1/credits', headers=headers)).status_code == 401
    listed = (await api.get('/api/v1/keys', headers=manage)).json()['items']
    assert any(k['id'] == victim['id'] and k['status'] == 'revoked' for k in listed)
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    expiring = (
        await api.post('/api/v1/keys', json={'name': 'e', 'scopes': ['read'], 'expires_at': soon}, headers=manage)
    ).json()
    with db.session_scope() as session:
        session.get(ApiKey, expiring['id']).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    assert (
        await api.get('/api/v1/credits', headers={'Authorization': f'Bearer {expiring["secret"]}'})
    ).status_code == 401
    assert (await api.post('/api/v1/keys/99999/revoke', headers=manage)).status_code == 404


async def test_a_used_up_spend_limit_is_402_and_writes_nothing(api, make_key):
    manage = make_key(*ALL_SCOPES)  # a key grants only what it holds
    limited = (
        await api.post(
            '/api/v1/keys', json={'name': 'l', 'scopes': ['ingest'], 'spend_limit': '0.0001'}, headers=manage
        )
    ).json()
    headers = {'Authorization': f'Bearer {limited["secret"]}'}
    assert (await api.post('/api/v1/generations', json=GEN | {'cost': '0.0001'}, headers=headers)).status_code == 201
    refused = await api.post('/api/v1/generations', json=GEN, headers=headers)  # the limit is used up exactly
    assert refused.status_code == 402
    assert '$0.00' in refused.json()['error']['message'] and 'limit' in refused.json()['error']['message']
    listed = (await api.get('/api/v1/keys', headers=manage)).json()['items']
    usage = next(k for k in listed if k['id'] == limited['id'])['usage_this_month']
    assert usage['requests'] == 1 and usage['cost'] == '0.000100'


async def test_allowed_models_are_enforced(api, make_key):
    manage = make_key(*ALL_SCOPES)  # a key grants only what it holds
    body = {'name': 'm', 'scopes': ['ingest'], 'allowed_models': ['openai/gpt-4o']}
    only = (await api.post('/api/v1/keys', json=body, headers=manage)).json()
    refused = await api.post('/api/v1/generations', json=GEN, headers={'Authorization': f'Bearer {only["secret"]}'})
    assert refused.status_code == 403 and refused.json()['error']['code'] == 'model_not_allowed'


async def test_the_key_table_holds_no_secret_that_authenticates(api, make_key):
    manage = make_key(*ALL_SCOPES)  # a key grants only what it holds
    secret = (await api.post('/api/v1/keys', json={'name': 's', 'scopes': ['read']}, headers=manage)).json()['secret']
    with db.session_scope() as session:
        dump = repr(session.execute(text('SELECT * FROM api_key')).all())
        hashes = session.exec(select(ApiKey.secret_hash)).all()
    assert secret not in dump and secret[11:] not in dump
    assert hash_secret(secret) in hashes
    for stored in hashes:  # a stolen column value is useless as a bearer token
        assert (await api.get('/api/v1/credits', headers={'Authorization': f'Bearer {stored}'})).status_code == 401


async def test_last_used_is_recorded(api, make_key):
    headers = make_key('read')
    await api.get('/api/v1/credits', headers=headers)
    with db.session_scope() as session:
        assert all(k.last_used_at is not None for k in session.exec(select(ApiKey)))


async def test_a_rejected_request_does_not_record_the_keys_use(api, make_key):
    headers = make_key('manage', 'read')
    refused = [
        await api.post('/api/v1/keys', json={'name': 'x', 'scopes': ['read'], 'colour': 'red'}, headers=headers),
        await api.post('/api/v1/keys', content=b'{not json', headers=headers | {'Content-Type': 'application/json'}),
        await api.patch('/api/v1/keys/999999', json={'name': 'y'}, headers=headers),
        await api.post('/api/v1/credits/top-ups', json={'amount': '5.00'}, headers=headers),  # no Idempotency-Key
    ]
    assert [r.status_code for r in refused] == [422, 422, 404, 422]
    with db.read_scope() as session:
        assert [k.last_used_at for k in session.exec(select(ApiKey))] == [None]


async def test_the_api_docs_page_needs_no_internet(api):
    page = await api.get('/api/docs')
    assert page.status_code == 200 and 'http' not in page.text.replace('http-equiv', '')  # no CDN, no other site
    assert "script-src 'self' 'nonce-" in page.headers['content-security-policy']
    for asset in ('swagger-ui-bundle.js', 'swagger-ui.css'):
        assert f'/api/docs/assets/{asset}' in page.text
        served = await api.get(f'/api/docs/assets/{asset}')
        assert served.status_code == 200 and len(served.content) > 100_000


async def test_openapi_docs_describe_every_endpoint(api):
    spec = (await api.get('/api/openapi.json')).json()
    paths = set(spec['paths'])
    for path in (
        '/api/v1/generations',
        '/api/v1/generations/batch',
        '/api/v1/generations/{generation_id}',
        '/api/v1/generations.csv',
        '/api/v1/usage',
        '/api/v1/eco',
        '/api/v1/credits',
        '/api/v1/keys',
        '/api/v1/keys/{key_id}',
        '/api/v1/keys/{key_id}/rotate',
        '/api/v1/keys/{key_id}/revoke',
        '/api/v1/models',
        '/api/v1/models/{model_id}',
    ):
        assert path in paths, path
    assert 'scope: ingest' in spec['paths']['/api/v1/generations']['post']['summary']
    assert '401' in spec['paths']['/api/v1/credits']['get']['responses']
    assert (await api.get('/api/docs')).status_code == 200
