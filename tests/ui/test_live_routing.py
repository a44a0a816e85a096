"""/routing stays live: settings and keys changed elsewhere (another tab, the API, another process) show in an
open page within about a second. A form without edits follows in place; a form with unsaved edits keeps them
and says the settings changed, with a button that loads the new ones."""

from __future__ import annotations

from nicegui.testing import User

from components.routing_form import policy_summary
from services import db
from services.keys.api_keys import revoke_key
from services.routing.policies import account_settings, effective, key_override
from tests.support import factories
from tests.support.live_pages import eventually, visible


def _one(user: User, marker: str):
    """The element with `marker`; the newest one (a dialog's) when the page has several."""
    return max(user.find(marker=marker).elements, key=lambda e: e.id)


def _defaults(account) -> dict:
    with db.read_scope() as session:
        return account_settings(session, account)


def _summary(account, key_id: int) -> dict[str, str]:
    """What the key's row should show for each fact, from the database."""
    with db.read_scope() as session:
        settings, sources = effective(session, account, key_id)
    return {
        marker: text if any(sources[f] == 'key' for f in fields) else f'inherits ({text})'
        for marker, _, text, fields in policy_summary(settings)
    }


async def test_defaults_saved_elsewhere_update_a_form_without_edits_in_place(user: User):
    account = factories.account()
    await user.open('/routing')
    await user.should_see('With your saved settings')
    strategy = _one(user, 'strategy')
    assert strategy.value == 'cheapest'

    factories.routing_policy(account, {'strategy': 'lowest_carbon', 'max_latency_ms': 1500})
    assert await eventually(lambda: strategy.value == 'lowest_carbon')
    stored = _defaults(account)
    assert (strategy.value, _one(user, 'max-latency').value) == (stored['strategy'], str(stored['max_latency_ms']))
    assert not visible(user, 'routing-changed')
    await user.should_see('With your saved settings')  # the preview follows the new saved settings


async def test_unsaved_edits_are_kept_and_a_notice_offers_the_new_settings(user: User):
    account = factories.account()
    await user.open('/routing')
    _one(user, 'strategy').value = 'lowest_carbon'  # the operator's edits, not saved
    _one(user, 'max-price').value = '3.00'

    factories.routing_policy(account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'})
    assert await eventually(lambda: visible(user, 'routing-changed'))
    await user.should_see('These settings were changed elsewhere')
    assert (_one(user, 'strategy').value, _one(user, 'max-price').value) == ('lowest_carbon', '3.00')

    user.find(marker='routing-changed-load').click()
    stored = _defaults(account)
    assert stored['strategy'] == 'prefer_region'
    assert _one(user, 'strategy').value == stored['strategy']
    assert _one(user, 'prefer-region').value == stored['prefer_region']
    assert _one(user, 'max-price').value == ''
    assert not visible(user, 'routing-changed')


async def test_saving_edits_after_a_change_elsewhere_stores_them_and_clears_the_notice(user: User):
    account = factories.account()
    await user.open('/routing')
    _one(user, 'max-latency').value = '900'
    factories.routing_policy(account, {'strategy': 'lowest_carbon'})
    assert await eventually(lambda: visible(user, 'routing-changed'))

    user.find(marker='save').click()
    await user.should_see('Saved: new requests follow these defaults')
    stored = _defaults(account)
    assert (stored['strategy'], stored['max_latency_ms']) == ('cheapest', 900)  # the operator's form, as shown
    assert not visible(user, 'routing-changed')
    factories.api_key(account, name='after-save')  # a later refresh (keys) finds nothing new in the defaults
    assert await eventually(lambda: visible(user, 'after-save'))
    assert not visible(user, 'routing-changed') and _one(user, 'max-latency').value == '900'


async def test_keys_and_overrides_changed_elsewhere_show_in_the_key_list(user: User):
    account = factories.account()
    first = factories.api_key(account, name='support-bot').key
    await user.open('/routing')
    await user.should_see('support-bot')

    second = factories.api_key(account, name='eu-only-app').key
    factories.routing_policy(account, {'allowed_regions': ['eu-west-1']}, key_id=second.id)
    assert await eventually(lambda: visible(user, f'key-row-{second.id}'))
    for marker, expected in _summary(account, second.id).items():
        assert _one(user, f'key-{second.id}-{marker}').text == expected
    assert _one(user, f'key-{second.id}-limits').text == 'only in eu-west-1'

    with db.session_scope() as session:
        revoke_key(session, account, first.id)
    assert await eventually(lambda: not visible(user, f'key-row-{first.id}'))  # revoked keys are not listed


async def test_an_open_override_dialog_follows_or_keeps_its_edits(user: User):
    account = factories.account()
    key = factories.api_key(account, name='support-bot').key
    await user.open('/routing')
    user.find(marker=f'edit-override-{key.id}').click()
    await user.should_see('Routing override for “support-bot”')

    factories.routing_policy(account, {'strategy': 'lowest_carbon'}, key_id=key.id)  # no edits here: follows
    assert await eventually(lambda: _one(user, 'inherit-strategy').value is False)
    assert _one(user, 'strategy').value == 'lowest_carbon'
    assert not visible(user, 'override-changed')

    _one(user, 'inherit-max_latency_ms').value = False  # an edit
    _one(user, 'max-latency').value = '1200'
    factories.routing_policy(account, {'strategy': 'cheapest'}, key_id=key.id)
    assert await eventually(lambda: visible(user, 'override-changed'))
    assert (_one(user, 'strategy').value, _one(user, 'max-latency').value) == ('lowest_carbon', '1200')

    user.find(marker='override-changed-load').click()
    with db.read_scope() as session:
        assert key_override(session, account, key.id) == {'strategy': 'cheapest'}
    assert _one(user, 'strategy').value == 'cheapest'
    assert _one(user, 'inherit-max_latency_ms').value is True
    assert not visible(user, 'override-changed')
    user.find(marker='save-override').click()
    await user.should_see('Saved the override for “support-bot”')
