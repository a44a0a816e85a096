async def test_account_defaults_and_key_overrides(api, make_key):
    manage = make_key('manage', 'inference')  # a key grants only scopes it holds
    defaults = (await api.get('/api/v1/routing', headers=manage)).json()
    assert defaults['strategy'] == 'cheapest' and defaults['allow_fallbacks'] is True
    saved = await api.put('/api/v1/routing', json={'strategy': 'lowest_carbon', 'max_latency_ms': 8000}, headers=manage)
    assert saved.status_code == 200 and saved.json()['strategy'] == 'lowest_carbon'
    key = (await api.post('/api/v1/keys', json={'name': 'eu', 'scopes': ['inference']}, headers=manage)).json()
    put = await api.put(
        f'/api/v1/keys/{key["id"]}/routing',
        json={'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'},
        headers=manage,
    )
    body = put.json()
    assert body['override'] == {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'}
    assert body['effective']['max_latency_ms'] == 8000  # inherited
    assert body['sources']['strategy'] == 'key' and body['sources']['max_latency_ms'] == 'account'
    assert (await api.delete(f'/api/v1/keys/{key["id"]}/routing', headers=manage)).status_code == 204
    cleared = (await api.get(f'/api/v1/keys/{key["id"]}/routing', headers=manage)).json()
    assert cleared['override'] == {} and cleared['effective']['strategy'] == 'lowest_carbon'


async def test_invalid_policies_are_refused_and_nothing_changes(api, make_key):
    manage = make_key('manage')
    for body, field in [
        ({'strategy': 'fastest'}, 'strategy'),
        ({'strategy': 'prefer_region'}, 'prefer_region'),
        ({'strategy': 'fixed_provider', 'fixed_provider': 'nobody'}, 'fixed_provider'),
        ({'blocked_regions': ['mars-1']}, 'blocked_regions'),
        ({'max_price_per_mtok': '-1'}, 'max_price_per_mtok'),
        ({'auto_pool': []}, 'auto_pool'),
        ({'colour': 'green'}, 'colour'),
    ]:
        response = await api.put('/api/v1/routing', json=body, headers=manage)
        assert response.status_code == 422, body
        assert field in response.json()['error']['message']
    assert (await api.get('/api/v1/routing', headers=manage)).json()['strategy'] == 'cheapest'
    assert (await api.put('/api/v1/keys/999/routing', json={}, headers=manage)).status_code == 404
    assert (await api.get('/api/v1/routing', headers=make_key('read'))).status_code == 403
