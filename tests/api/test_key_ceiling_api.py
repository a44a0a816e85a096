"""A key may only grant what it holds: scopes, models, spend limit and expiry, for new keys and for edits and
rotations of any key, itself included. The operator (dashboard, command line) is not limited."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from services import db
from services.keys._grants import KeyForbidden
from services.keys.api_keys import bulk_update, create_key, rotate_key, update_key
from services.models import Account, ApiKey

ALL = ['inference', 'ingest', 'read', 'manage']
MODEL = 'openai/gpt-4o-mini'


@pytest.fixture
def narrow(account_id) -> tuple[dict, int]:
    """A manage key limited to one model and 1.00 a month, as in the report: (headers, id)."""
    with db.session_scope() as session:
        new = create_key(
            session,
            session.get(Account, account_id),
            name='narrow',
            scopes=['manage', 'ingest'],
            allowed_models=[MODEL],
            spend_limit='1.00',
        )
    return {'Authorization': f'Bearer {new.secret}'}, new.key.id


def _keys() -> list[tuple]:
    with db.session_scope() as session:
        return sorted(
            (k.id, k.name, tuple(k.scopes), k.spend_limit_micros, tuple(k.allowed_models or ()), k.expires_at)
            for k in session.exec(select(ApiKey))
        )


async def test_a_narrow_key_cannot_create_a_wider_key(api, narrow):
    headers, _ = narrow
    before = _keys()
    cases = [
        ({'scopes': ALL}, 'scopes: this key holds only ingest, manage, so it cannot grant inference, read'),
        ({'scopes': ['ingest']}, 'allowed_models: this key may only use openai/gpt-4o-mini, so it cannot grant every'),
        ({'allowed_models': [MODEL, 'openai/gpt-4o']}, 'allowed_models: this key may only use openai/gpt-4o-mini, not'),
        ({'allowed_models': [MODEL]}, 'spend_limit: this key is limited to 1.00 a month, so it cannot grant no limit'),
        ({'allowed_models': [MODEL], 'spend_limit': '1.01'}, "spend_limit: 1.01 is more than this key's own limit"),
    ]
    for extra, message in cases:
        body = {'name': 'wide', 'scopes': ['ingest']} | extra
        refused = await api.post('/api/v1/keys', json=body, headers=headers)
        assert refused.status_code == 403, (extra, refused.text)
        assert refused.json()['error']['code'] == 'forbidden'
        assert refused.json()['error']['message'].startswith(message), refused.json()
    assert _keys() == before  # nothing was created
    within = {'name': 'ok', 'scopes': ['ingest'], 'allowed_models': [MODEL], 'spend_limit': '1.00'}
    created = await api.post('/api/v1/keys', json=within, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()['spend_limit'] == '1.000000' and created.json()['allowed_models'] == [MODEL]


async def test_a_narrow_key_cannot_lift_its_own_limits(api, narrow):
    headers, own_id = narrow
    before = _keys()
    for change in (
        {'spend_limit': None},
        {'spend_limit': '100'},
        {'allowed_models': None},
        {'scopes': ['manage', 'ingest', 'read']},
    ):
        refused = await api.patch(f'/api/v1/keys/{own_id}', json=change, headers=headers)
        assert refused.status_code == 403 and refused.json()['error']['code'] == 'forbidden', (change, refused.text)
        assert refused.json()['error']['message'].split(':')[0] in change
    assert _keys() == before
    lowered = await api.patch(f'/api/v1/keys/{own_id}', json={'spend_limit': '0.50', 'name': 'n2'}, headers=headers)
    assert lowered.status_code == 200 and lowered.json()['spend_limit'] == '0.500000'  # narrowing is fine


async def test_a_narrow_key_cannot_edit_or_rotate_a_wider_key(api, account_id, narrow):
    headers, _ = narrow
    with db.session_scope() as session:
        admin = create_key(session, session.get(Account, account_id), name='admin', scopes=ALL).key.id
    before = _keys()
    rotated = await api.post(f'/api/v1/keys/{admin}/rotate', headers=headers)  # its new secret would grant all
    assert rotated.status_code == 403 and rotated.json()['error']['message'].startswith('scopes:')
    renamed = await api.patch(f'/api/v1/keys/{admin}', json={'name': 'mine now'}, headers=headers)
    assert renamed.status_code == 403
    assert _keys() == before


async def test_expiry_is_no_later_than_the_acting_keys(api, account_id):
    ends = datetime.now(UTC) + timedelta(days=7)
    with db.session_scope() as session:
        new = create_key(session, session.get(Account, account_id), name='temp', scopes=['manage'], expires_at=ends)
    headers = {'Authorization': f'Bearer {new.secret}'}
    never = await api.post('/api/v1/keys', json={'name': 'x', 'scopes': ['manage']}, headers=headers)
    assert never.status_code == 403 and never.json()['error']['message'].startswith('expires_at: this key expires')
    later = (ends + timedelta(days=1)).isoformat()
    body = {'name': 'x', 'scopes': ['manage'], 'expires_at': later}
    assert (await api.post('/api/v1/keys', json=body, headers=headers)).status_code == 403
    sooner = (ends - timedelta(days=1)).isoformat()
    body = {'name': 'x', 'scopes': ['manage'], 'expires_at': sooner}
    assert (await api.post('/api/v1/keys', json=body, headers=headers)).status_code == 201


def test_the_operator_is_not_limited_and_bulk_edits_are_checked(session, account):
    acting = create_key(session, account, name='narrow', scopes=['manage', 'read'], spend_limit='1').key
    wide = create_key(session, account, name='wide', scopes=ALL).key  # no acting key: the dashboard
    other = create_key(session, account, name='other', scopes=['read'], spend_limit='1').key
    with pytest.raises(KeyForbidden, match='scopes'):
        bulk_update(session, account, [other.id], 'add_scope', 'ingest', acting_key=acting)
    with pytest.raises(KeyForbidden, match='spend_limit'):
        bulk_update(session, account, [other.id], 'set_limit', '5', acting_key=acting)
    with pytest.raises(KeyForbidden):
        rotate_key(session, account, wide.id, acting_key=acting)
    assert bulk_update(session, account, [other.id], 'set_limit', '0.5', acting_key=acting) == 1
    assert update_key(session, account, other.id, spend_limit=None).spend_limit_micros is None  # the operator
    assert rotate_key(session, account, wide.id).key.id == wide.id
