"""Routing policies: a strategy's region or provider is kept only while that strategy is in force, so neither the
stored policy nor the routing trace describes a setting that was not applied."""

import pytest

from services.catalog import get_catalog
from services.keys.api_keys import create_key
from services.routing.engine import models_for, route
from services.routing.policies import (
    PolicyError,
    account_settings,
    effective,
    key_override,
    set_account_settings,
    set_key_override,
    to_policy,
)

MODEL = 'openai/gpt-4o-mini'


def _trace(settings: dict) -> dict:
    policy = to_policy(settings)
    return route(get_catalog(), models_for(MODEL, policy), policy, requested_model=MODEL).trace


def test_switching_the_strategy_away_clears_the_region_and_provider_it_used(session, account):
    set_account_settings(session, account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'})
    assert account_settings(session, account)['prefer_region'] == 'eu-west-1'

    # what the page's form sends after the switch: the hidden region is still in it
    saved = set_account_settings(session, account, {'strategy': 'cheapest', 'prefer_region': 'eu-west-1'})
    stored = account_settings(session, account)
    assert saved['prefer_region'] is None and stored['prefer_region'] is None
    assert stored['strategy'] == 'cheapest'
    trace = _trace(effective(session, account)[0])
    assert (trace['strategy'], trace['prefer_region'], trace['fixed_provider']) == ('cheapest', None, None)

    set_account_settings(session, account, {'strategy': 'fixed_provider', 'fixed_provider': 'openai'})
    set_account_settings(
        session, account, {'strategy': 'lowest_carbon', 'fixed_provider': 'openai', 'prefer_region': 'eu-west-1'}
    )
    stored = account_settings(session, account)
    assert (stored['strategy'], stored['fixed_provider'], stored['prefer_region']) == ('lowest_carbon', None, None)


def test_a_key_that_overrides_the_strategy_does_not_inherit_the_region_of_another_one(session, account):
    key = create_key(session, account, name='batch', scopes=['inference']).key
    set_account_settings(session, account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'})
    set_key_override(session, account, key.id, {'strategy': 'cheapest'})

    settings, sources = effective(session, account, key.id)
    assert (settings['strategy'], settings['prefer_region']) == ('cheapest', None)
    assert sources['strategy'] == 'key'
    trace = _trace(settings)
    assert trace['strategy'] == 'cheapest' and trace['prefer_region'] is None
    # the account itself still prefers its region
    assert _trace(effective(session, account)[0])['prefer_region'] == 'eu-west-1'


def test_a_key_override_keeps_only_the_field_its_own_strategy_uses(session, account):
    key = create_key(session, account, name='eu', scopes=['inference']).key
    saved = set_key_override(
        session,
        account,
        key.id,
        {'strategy': 'lowest_carbon', 'prefer_region': 'eu-west-1', 'fixed_provider': 'openai'},
    )
    assert saved == {'strategy': 'lowest_carbon'}
    assert key_override(session, account, key.id) == {'strategy': 'lowest_carbon'}

    saved = set_key_override(session, account, key.id, {'strategy': 'fixed_provider', 'fixed_provider': 'openai'})
    assert saved == {'strategy': 'fixed_provider', 'fixed_provider': 'openai'}
    assert _trace(effective(session, account, key.id)[0])['fixed_provider'] == 'openai'


def test_a_region_a_key_overrides_applies_only_while_the_strategy_it_inherits_uses_it(session, account):
    key = create_key(session, account, name='us', scopes=['inference']).key
    set_account_settings(session, account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'})
    set_key_override(session, account, key.id, {'prefer_region': 'us-east-1'})
    assert _trace(effective(session, account, key.id)[0])['prefer_region'] == 'us-east-1'

    set_account_settings(session, account, {'strategy': 'lowest_carbon'})
    settings, _ = effective(session, account, key.id)
    assert (settings['strategy'], settings['prefer_region']) == ('lowest_carbon', None)
    assert _trace(settings)['prefer_region'] is None


def test_the_defaults_cannot_drop_a_region_a_key_still_prefers(session, account):
    key = create_key(session, account, name='eu-bot', scopes=['inference']).key
    set_account_settings(session, account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'})
    set_key_override(session, account, key.id, {'strategy': 'prefer_region'})  # the region is inherited

    with pytest.raises(PolicyError) as error:
        set_account_settings(session, account, {'strategy': 'cheapest', 'prefer_region': 'eu-west-1'})
    assert error.value.field == 'strategy'
    assert 'eu-bot' in error.value.message and 'its own region' in error.value.message
    assert account_settings(session, account)['strategy'] == 'prefer_region'
