import asyncio
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nicegui import ui
from nicegui.testing import User

from components.whatif import change_text, metric_text
from services import db
from services.catalog import AUTO_MODEL, get_catalog
from services.routing.engine import models_for, route
from services.routing.policies import (
    BUILT_IN,
    account_settings,
    effective,
    key_override,
    to_policy,
)
from services.routing.route_stats import provider_stats
from services.routing.whatif import preview
from services.timeutil import format_local, local
from tests.services.test_route_stats import seed_routes
from tests.support import factories

# (requested model, model, provider, region, prompt tokens, completion tokens, requests)
TRAFFIC = (
    ('openai/gpt-4o-mini', 'openai/gpt-4o-mini', 'openai', 'us-east-1', 900, 300, 6),
    ('google/gemini-2.5-flash', 'google/gemini-2.5-flash', 'google-vertex', 'us-central1', 1200, 400, 4),
    ('mistral/mistral-small', 'mistral/mistral-small', 'mistral', 'fr-par', 800, 250, 3),
    (AUTO_MODEL, 'meta-llama/llama-3.1-70b-instruct', 'deepinfra', 'generic-usa', 2000, 600, 5),
    (AUTO_MODEL, 'openai/gpt-4o-mini', 'openai', 'us-east-1', 1500, 500, 4),
)


def _seed():
    """An account with one key and ~20 generations over the last five days; returns (account, key id)."""
    with db.session_scope() as session:
        account = factories.account(session=session, name='Acme', currency='USD', timezone='UTC')
        key_id = factories.api_key(account, session=session, name='support-bot').key.id
        now = datetime.now(UTC)
        factories.generations(
            account,
            (
                {
                    'model': model,
                    'requested_model': requested,
                    'provider': provider,
                    'region': region,
                    'prompt_tokens': prompt + 10 * n,
                    'completion_tokens': completion,
                    'created_at': now - timedelta(days=(i + n) % 5, hours=n + 1),
                    'api_key_id': key_id if n % 2 else None,
                }
                for i, (requested, model, provider, region, prompt, completion, count) in enumerate(TRAFFIC)
                for n in range(count)
            ),
            session=session,
        )
    return account, key_id


def _settings(account) -> dict:
    with db.session_scope() as session:
        return account_settings(session, account)


def _override(account, key_id: int) -> dict:
    with db.session_scope() as session:
        return key_override(session, account, key_id)


def _one(user: User, marker: str):
    """The element with `marker`; the newest one (a dialog's) when the page has several."""
    return max(user.find(marker=marker).elements, key=lambda e: e.id)


def _text(user: User, marker: str) -> str:
    return _one(user, marker).text


async def _until(condition, timeout: float = 3.0) -> None:
    """Wait for `condition()`: a refreshable's refresh runs in the background."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    assert condition()


def _shown(user: User, marker: str) -> bool:
    try:
        return bool(user.find(marker=marker).elements)
    except AssertionError:  # find() insists on at least one
        return False


def _error(element) -> str | None:
    return element.props.get('error-message') if element.props.get('error') else None


async def test_preview_shows_the_unsaved_strategy_and_save_stores_it(user: User):
    account, _ = _seed()
    await user.open('/routing')
    await user.should_see('Account defaults for lowrouter/auto')
    await user.should_see('With your saved settings')
    await user.should_see('22 requests replayed')

    _one(user, 'strategy').value = 'lowest_carbon'
    await user.should_see('The form has changed since this preview')
    user.find(marker='preview').click()
    await user.should_see('With the settings in the form, not saved yet')

    with db.session_scope() as session:
        expected = preview(session, account, days=7, account_policy=BUILT_IN | {'strategy': 'lowest_carbon'})
    assert expected.change('carbon_g') < 0 and expected.moved_requests > 0  # the seed gives the change something to do
    assert _text(user, 'change-carbon_g') == change_text(expected.change('carbon_g'))
    after = metric_text(account, 'carbon_g', expected.after.carbon_g, beside=expected.before.carbon_g)
    assert _text(user, 'after-carbon_g') == after
    assert _text(user, 'change-cost_micros') == change_text(expected.change('cost_micros'))
    moved = expected.moved_requests
    assert expected.unroutable_requests == 0
    assert _text(user, 'whatif-headline') == (
        f'{moved * 100 / 22:.0f} % of past requests ({moved}) would move to another offer'
    )
    assert _settings(account)['strategy'] == 'cheapest'  # a preview saves nothing

    user.find(marker='whatif-days').elements.pop().value = 30
    await user.should_see('22 requests replayed')  # all the seed is within 7 days, so 30 days replay the same

    user.find(marker='save').click()
    await user.should_see('Saved: new requests follow these defaults')
    assert _settings(account)['strategy'] == 'lowest_carbon'
    await user.should_see('With your saved settings')


async def test_invalid_values_show_a_field_error_and_save_nothing(user: User):
    account, _ = _seed()
    await user.open('/routing')
    await user.should_see('With your saved settings')
    before = _settings(account)

    _one(user, 'strategy').value = 'prefer_region'
    user.find(marker='save').click()
    await user.should_see('Nothing was saved')
    assert _error(_one(user, 'prefer-region')) == 'Choose the region to prefer'
    assert _settings(account) == before

    _one(user, 'prefer-region').value = 'eu-west-1'
    assert _error(_one(user, 'prefer-region')) is None  # editing the field clears its error
    user.find(marker='max-price').type('-1')
    user.find(marker='save').click()
    assert _error(_one(user, 'max-price')).startswith('Enter a price above 0')
    assert _settings(account) == before

    user.find(marker='preview').click()  # the preview refuses the same value, and keeps the last preview
    assert _error(_one(user, 'max-price')).startswith('Enter a price above 0')
    await user.should_see('With your saved settings')

    _one(user, 'max-price').value = '2.50'
    _one(user, 'max-latency').value = '8000'
    user.find(marker='save').click()
    await user.should_see('Saved: new requests follow these defaults')
    saved = _settings(account)
    assert (saved['strategy'], saved['prefer_region']) == ('prefer_region', 'eu-west-1')
    assert (saved['max_price_per_mtok'], saved['max_latency_ms']) == ('2.50', 8000)


async def test_a_key_override_is_saved_shown_previewed_and_cleared(user: User):
    account, key_id = _seed()
    await user.open('/routing')
    await user.should_see('support-bot')
    assert _text(user, f'key-{key_id}-strategy') == 'inherits (Cheapest)'
    assert not _one(user, f'clear-override-{key_id}').enabled

    user.find(marker=f'edit-override-{key_id}').click()
    await user.should_see('Routing override for “support-bot”')
    assert _one(user, 'strategy').enabled is False  # inherited fields show the default and cannot be edited
    user.find(marker='inherit-strategy').click()
    _one(user, 'strategy').value = 'fixed_provider'
    user.find(marker='save-override').click()
    assert _error(_one(user, 'fixed-provider')) == 'Choose the provider to use'
    assert _override(account, key_id) == {}

    assert _one(user, 'inherit-fixed_provider').value is False  # the field in error is opened for editing
    _one(user, 'fixed-provider').value = 'openai'
    user.find(marker='preview-key').click()
    await user.should_see('All your traffic, with this draft for support-bot (not saved yet)')
    draft = {'strategy': 'fixed_provider', 'fixed_provider': 'openai'}
    with db.session_scope() as session:
        expected = preview(session, account, days=7, key_policies={key_id: draft})
    assert expected.unroutable_requests > 0  # openai does not serve every model this key asked for
    assert _text(user, 'change-carbon_g') == change_text(expected.change('carbon_g'))
    await user.should_see(f'{expected.unroutable_requests:,} requests could not be routed')

    refused, total = expected.refused(key_id)
    assert 0 < refused < total < expected.before.requests  # only this key's requests count for its override
    user.find(marker='save-override').click()  # it would refuse some of the key's past requests: it asks first
    await user.should_see('Save settings that refuse requests?')
    assert _text(user, 'refusal-text') == (
        f'With this override, {refused * 100 / total:.0f} % of the requests made with “support-bot” in the last '
        f'7 days ({refused} of {total}) would have been refused: no offer meets the settings for them.'
    )
    user.find(marker='cancel-save').click()
    await _until(lambda: not _shown(user, 'refusal-text'))
    assert _override(account, key_id) == {}  # Cancel saves nothing

    user.find(marker='save-override').click()
    await user.should_see('Save settings that refuse requests?')
    user.find(marker='confirm-save').click()
    await user.should_see('Saved the override for “support-bot”')
    assert _override(account, key_id) == draft
    await user.should_see('2 settings overridden')  # the key list refreshes in the background
    strategy = _one(user, f'key-{key_id}-strategy')
    assert strategy.text == 'Fixed provider' and 'lr-override' in strategy.classes
    assert _text(user, f'key-{key_id}-fixed_provider') == 'OpenAI API'
    assert _text(user, f'key-{key_id}-allow_fallbacks') == 'inherits (on)'
    assert _text(user, f'key-{key_id}-auto_pool').startswith('inherits (')
    assert _settings(account)['strategy'] == 'cheapest'  # the account defaults are untouched

    user.find(marker=f'clear-override-{key_id}').click()
    await user.should_see('Clear the override of “support-bot”?')
    user.find(marker='confirm-clear').click()
    await user.should_see('“support-bot” now follows the defaults')
    assert _override(account, key_id) == {}
    await _until(lambda: _text(user, f'key-{key_id}-strategy') == 'inherits (Cheapest)')


async def test_an_account_without_traffic_says_there_is_nothing_to_replay(user: User):
    factories.account(name='Empty', currency='EUR')
    await user.open('/routing')
    await user.should_see('No completed requests in the last 7 days to replay yet')
    await user.should_see('No active keys yet')
    user.find(marker='preview').click()
    await user.should_see('No completed requests in the last 7 days to replay yet')


async def test_routing_without_an_account_goes_to_onboarding(user: User):
    await user.open('/routing')
    await user.should_see('Welcome to lowrouter')


async def test_the_headline_counts_refusals_and_saving_settings_that_refuse_asks_first(user: User):
    account, _ = _seed()
    await user.open('/routing')
    await user.should_see('With your saved settings')
    _one(user, 'strategy').value = 'fixed_provider'
    _one(user, 'fixed-provider').value = 'openai'
    user.find(marker='preview').click()
    await user.should_see('With the settings in the form, not saved yet')

    draft = {'strategy': 'fixed_provider', 'fixed_provider': 'openai'}
    with db.session_scope() as session:
        expected = preview(session, account, days=7, account_policy=BUILT_IN | draft)
    refused, moved = expected.unroutable_requests, expected.moved_requests
    # openai serves neither Gemini (4) nor Mistral (3); lowrouter/auto's Llama requests (5) move to its GPT
    assert (refused, moved, expected.before.requests) == (7, 5, 22)
    assert _text(user, 'whatif-headline') == (
        '32 % of past requests (7) would be refused; 23 % (5) would move to another offer'
    )

    user.find(marker='save').click()
    await user.should_see('Save settings that refuse requests?')
    assert _text(user, 'refusal-text') == (
        'With these settings, 32 % of your requests in the last 7 days (7 of 22) would have been refused: no offer '
        'meets the settings for them.'
    )
    user.find(marker='cancel-save').click()
    await _until(lambda: not _shown(user, 'refusal-text'))
    assert _settings(account)['strategy'] == 'cheapest'  # Cancel saves nothing

    user.find(marker='save').click()
    await user.should_see('Save settings that refuse requests?')
    user.find(marker='confirm-save').click()
    await user.should_see('Saved: new requests follow these defaults')
    saved = _settings(account)
    assert (saved['strategy'], saved['fixed_provider']) == ('fixed_provider', 'openai')
    await user.should_see('With your saved settings')


async def test_a_policy_that_refuses_nothing_saves_without_asking(user: User):
    account, _ = _seed()
    await user.open('/routing')
    await user.should_see('With your saved settings')
    _one(user, 'strategy').value = 'lowest_carbon'
    user.find(marker='save').click()
    await user.should_see('Saved: new requests follow these defaults')
    assert not _shown(user, 'refusal-text')
    assert _settings(account)['strategy'] == 'lowest_carbon'


async def test_switching_the_strategy_away_from_a_region_forgets_the_region(user: User):
    account, _ = _seed()
    factories.routing_policy(account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'})
    await user.open('/routing')
    await user.should_see('With your saved settings')
    assert _one(user, 'prefer-region').value == 'eu-west-1'

    _one(user, 'strategy').value = 'cheapest'  # the region field hides, still holding eu-west-1
    user.find(marker='save').click()
    await user.should_see('Saved: new requests follow these defaults')
    saved = _settings(account)
    assert (saved['strategy'], saved['prefer_region']) == ('cheapest', None)
    await user.should_see('With your saved settings')  # the hidden region is no unsaved change
    with db.session_scope() as session:
        policy = to_policy(effective(session, account)[0])
    trace = route(get_catalog(), models_for(AUTO_MODEL, policy), policy, requested_model=AUTO_MODEL).trace
    assert (trace['strategy'], trace['prefer_region']) == ('cheapest', None)


async def test_the_providers_card_shows_the_week_of_each_provider_and_region(user: User):
    with db.session_scope() as session:
        account = factories.account(session=session, name='Acme', currency='USD', timezone='Europe/Paris')
        seed_routes(session, account)
    with db.session_scope() as session:
        stats = provider_stats(session, account)
    await user.open('/routing')
    await user.should_see('Providers, last 7 days')
    await user.should_see(marker='route-stats-row')
    rows = [_cells(row) for row in sorted(user.find(marker='route-stats-row').elements, key=lambda e: e.id)]
    assert rows == [
        ['OpenAI API', 'US East (N. Virginia) · us-east-1', '13', '550 ms', '955 ms', '65 ms', '4 streams', '79 ms',
         '16.7 %', '2 of 12 failed', '1'],
        ['Mistral AI La Plateforme', 'Paris (Scaleway fr-par)', '3', '200 ms', '290 ms', '—', '—', '0.0 %',
         '0 of 3 failed', '0'],
        ['Azure OpenAI / Azure AI Foundry', 'East US 2 (Virginia) · eastus2', '1', '—', '—', '—', '—', '—', '1'],
    ]  # fmt: skip
    gpt = stats.rows[0]  # the page shows what the service computed (78.5 ms rounds half up)
    assert (gpt.latency_p50_ms, gpt.latency_p95_ms, gpt.ttft_p50_ms, gpt.ttft_p95_ms) == pytest.approx(
        (550, 955, 65, 78.5)
    )
    assert (gpt.requests, gpt.failed, gpt.completed + gpt.failed, gpt.cancelled) == (13, 2, 12, 1)
    assert gpt.error_rate == pytest.approx(2 / 12)  # 16.7 %
    assert not _shown(user, 'route-stats-capped')
    since = re.match(r'Since (\d{4}-\d\d-\d\d \d\d:\d\d) \(Europe/Paris\)\. ', _text(user, 'route-stats-note'))
    shown = datetime.strptime(since.group(1), '%Y-%m-%d %H:%M').replace(tzinfo=ZoneInfo('Europe/Paris'))
    assert abs(shown - local(stats.since, 'Europe/Paris')) < timedelta(minutes=1)  # 7 days ago, in the account's zone


async def test_the_providers_card_of_a_busy_week_says_it_read_only_the_newest(user: User, monkeypatch):
    monkeypatch.setattr('services.routing.route_stats.ROW_LIMIT', 5)  # a busy week, in small
    with db.session_scope() as session:
        account = factories.account(session=session, name='Busy', currency='USD', timezone='UTC')
        seed_routes(session, account)
    with db.session_scope() as session:
        stats = provider_stats(session, account)
    assert stats.capped and stats.counted == 5
    await user.open('/routing')
    await user.should_see(marker='route-stats-capped')
    assert _text(user, 'route-stats-capped') == (
        f'Busy week: these figures cover the newest 5 requests, back to {format_local(stats.oldest, "UTC")} (UTC); '
        'older ones of the 7 days are left out.'
    )
    assert [_cells(row)[2] for row in user.find(marker='route-stats-row').elements] == ['5']


async def test_the_providers_card_of_a_quiet_week_says_so(user: User):
    factories.account(name='Quiet', currency='EUR')
    await user.open('/routing')
    await user.should_see('No requests in the last 7 days yet')


def _cells(row) -> list[str]:
    return [e.text for e in row.descendants() if isinstance(e, ui.label)]


async def test_the_defaults_cannot_drop_a_region_a_key_inherits_and_say_which_key(user: User):
    account, key_id = _seed()
    with db.session_scope() as session:
        factories.routing_policy(account, {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'}, session=session)
        # the key's override keeps the strategy and inherits the region
        factories.routing_policy(account, {'strategy': 'prefer_region'}, session=session, key_id=key_id)
    await user.open('/routing')
    await user.should_see('With your saved settings')
    _one(user, 'strategy').value = 'lowest_carbon'
    user.find(marker='save').click()
    await user.should_see(
        'Nothing was saved: Key "support-bot" inherits its region to prefer from these defaults, and this strategy '
        'does not keep one: give that key its own region first (or clear its override)'
    )
    saved = _settings(account)
    assert (saved['strategy'], saved['prefer_region']) == ('prefer_region', 'eu-west-1')
