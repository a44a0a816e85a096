import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account, current_account
from services.keys.api_keys import authenticate, create_key, key_status
from services.models import ApiKey
from tests.support import factories


def _stored(key_id: int) -> ApiKey:
    with db.session_scope() as session:
        return session.get(ApiKey, key_id)


def _count() -> int:
    with db.session_scope() as session:
        return session.exec(select(func.count()).select_from(ApiKey)).one()


def _table(user: User) -> ui.table:
    return user.find(ui.table).elements.pop()


async def _secret_from_dialog(user: User) -> str:
    await user.should_see('it will not be shown again')
    return user.find(marker='secret').elements.pop().text


async def test_create_a_key_shows_the_secret_once_and_stores_only_its_hash(user: User):
    factories.account(timezone='Europe/Paris')
    await user.open('/keys')
    await user.should_see('No keys yet')
    user.find(marker='create-key').click()
    await user.should_see('Create a key')
    user.find(marker='key-name').type('ci-bot')
    user.find(marker='scope-read').click()  # inference is ticked by default
    user.find(marker='key-limit').type('25.00')
    user.find(marker='key-models').elements.pop().value = ['openai/gpt-4o-mini']
    expiry_day = date.today() + timedelta(days=30)
    user.find(marker='key-expiry').elements.pop().value = expiry_day.isoformat()
    user.find(marker='submit-key').click()
    secret = await _secret_from_dialog(user)

    with db.session_scope() as session:
        key = authenticate(session, secret)
        assert key is not None and key.name == 'ci-bot'
        assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert key.scopes == ['inference', 'read']
        assert key.spend_limit_micros == 25_000_000
        assert key.allowed_models == ['openai/gpt-4o-mini']
        end_of_day = datetime.combine(expiry_day, time(23, 59, 59), tzinfo=ZoneInfo('Europe/Paris'))
        assert key.expires_at == end_of_day.astimezone(UTC)
        assert key.expires_at.tzinfo is not None
        prefix = key.prefix
    assert secret.startswith(prefix) and len(secret) > len(prefix)

    user.find(marker='secret-done').click()
    await user.should_not_see(secret)
    await user.should_see(prefix)
    await user.open('/keys')
    await user.should_see('ci-bot')
    await user.should_see(f'{prefix}…')
    await user.should_not_see(secret)
    row = _table(user).rows[0]
    assert secret not in str(row) and row['prefix'] == prefix
    assert row['limit'] == '$0.00 of $25.00 (0 %)'
    assert row['last_used'] == 'never'


async def test_missing_scope_or_bad_limit_shows_a_field_error_and_writes_nothing(user: User):
    factories.account()
    await user.open('/keys')
    user.find(marker='create-key').click()
    user.find(marker='key-name').type('no-scope')
    user.find(marker='scope-inference').click()  # untick the default: no scope left
    user.find(marker='submit-key').click()
    await user.should_see('Choose at least one scope')
    assert _count() == 0

    user.find(marker='scope-ingest').click()
    user.find(marker='key-limit').type('twenty')
    user.find(marker='submit-key').click()
    await user.should_see('Enter an amount like 25.00')
    assert 'error' in user.find(marker='key-limit').elements.pop().props
    assert _count() == 0

    limit = user.find(marker='key-limit').elements.pop()
    limit.value = '-5'  # readable, but the service refuses it: its message goes on the field
    user.find(marker='submit-key').click()
    await user.should_see('Must be more than 0')
    assert limit.props['error-message'].startswith('Must be more than 0')
    assert _count() == 0

    limit.value = '5'
    user.find(marker='key-expiry').elements.pop().value = '2001-01-01'
    user.find(marker='submit-key').click()
    await user.should_see('Must be in the future')
    assert _count() == 0


async def test_edit_prefills_and_saves_through_update_key(user: User):
    account = factories.account()
    new = factories.api_key(account, name='old-name', scopes=('inference', 'read'), spend_limit='12.50')
    await user.open('/keys')
    user.find(marker=f'edit-{new.key.id}').click()
    name = user.find(marker='key-name').elements.pop()
    assert name.value == 'old-name'
    assert user.find(marker='key-limit').elements.pop().value == '12.50'
    name.value = 'new-name'
    user.find(marker='key-limit').elements.pop().value = ''
    user.find(marker='submit-key').click()
    await user.should_see('Saved the changes')
    stored = _stored(new.key.id)
    assert (stored.name, stored.scopes, stored.spend_limit_micros) == ('new-name', ['inference', 'read'], None)


async def test_revoke_through_the_page(user: User):
    account = factories.account()
    new = factories.api_key(account, name='to-revoke')
    await user.open('/keys')
    user.find(ui.table).trigger('key_action', {'action': 'revoke', 'id': new.key.id})  # the row's Revoke button
    await user.should_see('Revoke “to-revoke”?')
    user.find(marker='confirm-revoke').click()
    await user.should_see('Revoked “to-revoke”')
    assert key_status(_stored(new.key.id)) == 'revoked'
    with db.session_scope() as session:
        assert authenticate(session, new.secret) is None
    await user.should_not_see(marker=f'rotate-{new.key.id}')  # the list is rebuilt in the background
    await user.should_not_see(marker=f'revoke-{new.key.id}')
    await user.should_see(marker=f'key-card-{new.key.id}')  # still listed, with its history
    assert _table(user).rows[0]['status'] == 'revoked'


async def test_rotate_without_grace_replaces_the_secret_of_the_same_key(user: User):
    account = factories.account()
    new = factories.api_key(account, name='to-rotate')
    await user.open('/keys')
    user.find(marker=f'rotate-{new.key.id}').click()
    await user.should_see('Rotate “to-rotate”')
    user.find(marker='grace').elements.pop().value = 'none'
    user.find(marker='confirm-rotate').click()
    secret = await _secret_from_dialog(user)
    await user.should_see('The old secret has stopped working')
    assert secret != new.secret
    with db.session_scope() as session:
        assert authenticate(session, new.secret) is None
        rotated = authenticate(session, secret)
        assert rotated is not None and rotated.id == new.key.id
    user.find(marker='secret-done').click()
    await user.should_not_see(secret)


async def test_bulk_add_scope_then_bulk_revoke(user: User):
    account = factories.account()
    first, second, third = (factories.api_key(account, name=name) for name in ('alpha', 'beta', 'gamma'))
    await user.open('/keys')
    await user.should_not_see(marker='bulk-bar')
    rows = {row['id']: row for row in _table(user).rows}
    picked = [rows[first.key.id], rows[second.key.id]]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': picked, 'keys': [r['id'] for r in picked]})
    await user.should_see('2 selected')

    user.find(marker='bulk-add_scope').click()
    await user.should_see('Add a scope to 2 keys')
    user.find(marker='bulk-scope').elements.pop().value = 'manage'
    user.find(marker='confirm-bulk').click()
    await user.should_see('Updated 2 keys')
    assert 'manage' in _stored(first.key.id).scopes
    assert 'manage' in _stored(second.key.id).scopes
    assert 'manage' not in _stored(third.key.id).scopes
    await user.should_not_see('2 selected')  # the list was rebuilt from the database

    rows = {row['id']: row for row in _table(user).rows}
    picked = [rows[first.key.id], rows[second.key.id]]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': picked, 'keys': [r['id'] for r in picked]})
    user.find(marker='bulk-revoke').click()
    await user.should_see('Revoke 2 keys?')
    user.find(marker='confirm-bulk').click()
    await user.should_see('Revoked 2 keys')
    assert [key_status(_stored(k.key.id)) for k in (first, second, third)] == ['revoked', 'revoked', 'active']


async def test_a_bulk_action_the_service_refuses_changes_nothing(user: User):
    account = factories.account()
    first = factories.api_key(account, name='two-scopes', scopes=('inference', 'read'))
    second = factories.api_key(account, name='only-read', scopes=('read',))
    await user.open('/keys')
    picked = _table(user).rows
    user.find(ui.table).trigger('selection', {'added': True, 'rows': picked, 'keys': [r['id'] for r in picked]})
    user.find(marker='bulk-remove_scope').click()
    user.find(marker='bulk-scope').elements.pop().value = 'read'
    user.find(marker='confirm-bulk').click()
    await user.should_see('Nothing was changed: only-read would be left without any scope')
    assert _stored(first.key.id).scopes == ['inference', 'read']
    assert _stored(second.key.id).scopes == ['read']


async def test_limit_usage_and_times_use_the_account_currency_and_time_zone(user: User):
    with db.session_scope() as session:
        account = create_account(session, name='Acme', currency='EUR', timezone='America/New_York')
        key = create_key(session, account, name='eu', scopes=['read'], spend_limit='10').key
        key.created_at = datetime(2026, 1, 15, 17, 30, tzinfo=UTC)
        session.add(key)
    await user.open('/keys')
    row = _table(user).rows[0]
    assert row['created'] == '2026-01-15 12:30'
    assert row['limit'] == '€0.00 of €10.00 (0 %)'
    assert row['cost'] == '€0.00'


async def test_without_an_account_the_page_goes_to_onboarding(user: User):
    await user.open('/keys')
    await user.should_see('Welcome to lowrouter')
    with db.session_scope() as session:
        assert current_account(session) is None
