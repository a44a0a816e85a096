import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from nicegui.testing import User

from components.eco_panel import unbroken
from services import db
from services.account.accounts import create_account, current_account
from services.eco import estimate as eco
from services.eco.impact import caveat_text, eco_impact
from services.units import carbon_range_text, carbon_text, energy_range_text, energy_text
from tests.support import factories

MODEL = 'meta-llama/llama-3.1-70b-instruct'
OLD_STAMP = 'eco-2 · EcoLogits 0.11.3 · data 00000000'


def _seed(count: int, model: str = MODEL) -> None:
    now = datetime.now(UTC)
    offer = factories.offer_of(model)
    with db.session_scope() as session:
        account = current_account(session) or factories.account(session=session)
        for i in range(count):
            factories.generation(
                account, session=session, offer=offer, completion_tokens=300, created_at=now - timedelta(minutes=i)
            )


def _impact():
    with db.session_scope() as session:
        return eco_impact(session, current_account(session))


async def test_the_panel_shows_both_figures_with_ranges_and_the_verdict(user: User):
    _seed(120)
    impact = _impact()
    c = impact.comparison
    await user.open('/dashboard')
    await user.should_see(unbroken(impact.summary))
    await user.should_see('GPT-4o, same usage')
    for span, text, range_text in (
        (c.energy_wh, energy_text, energy_range_text),
        (c.carbon_g, carbon_text, carbon_range_text),
        (c.baseline_energy_wh, energy_text, energy_range_text),
        (c.baseline_carbon_g, carbon_text, carbon_range_text),
    ):
        await user.should_see(text(span.value))
        await user.should_see(range_text(span.low, span.high))
    await user.should_see('of which manufacturing')
    await user.should_see(carbon_text(c.embodied_g.value))
    await user.should_see(carbon_text(c.baseline_embodied_g.value))
    assert 0 < c.embodied_g.value < c.carbon_g.value
    assert c.energy_wh == impact.energy_wh  # one version, all comparable
    await user.should_not_see('Compared:')


async def test_changing_the_baseline_in_settings_changes_the_panel(user: User):
    _seed(120)
    before = _impact().summary
    await user.open('/dashboard')
    await user.should_see(unbroken(before))

    await user.open('/settings')
    user.find(marker='eco-baseline-select').elements.pop().set_value('meta-llama/llama-3.1-8b-instruct')
    user.find('Save baseline').click()
    await user.should_see('Baseline saved')

    after = _impact()
    assert after.baseline_model == 'meta-llama/llama-3.1-8b-instruct'
    assert after.energy_verdict == 'higher'
    await user.open('/dashboard')
    await user.should_see(unbroken(after.summary))
    await user.should_see('Llama 3.1 8B Instruct, same usage')
    await user.should_not_see(unbroken(before))


async def test_a_window_of_two_versions_names_them_and_leaves_out_what_cannot_be_computed(user: User):
    real = eco.estimate

    def old_stamp(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), methodology_version=OLD_STAMP)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(eco, 'estimate', old_stamp)
        _seed(30)
    _seed(120)
    impact = _impact()
    assert impact.not_comparable_versions == [OLD_STAMP]
    await user.open('/dashboard')
    await user.should_see(caveat_text(impact, 'mixed_methodology'))
    await user.should_see(caveat_text(impact, 'not_comparable'))
    await user.should_see(OLD_STAMP)
    await user.should_see(
        f'Compared: 120 of 150 requests. The whole window used {energy_text(impact.energy_wh.value)} and '
        f'{carbon_text(impact.carbon_g.value)}.'
    )
    await user.should_see(unbroken(impact.summary))


async def test_an_empty_window_says_so(user: User):
    with db.session_scope() as session:  # usage, but none in the last 30 days (an account with none gets a guide)
        account = create_account(session, name='Quiet')
        factories.generation(account, session=session, created_at=datetime.now(UTC) - timedelta(days=45))
    await user.open('/dashboard')
    await user.should_see('No usage in this window yet.')
    await user.should_not_see('of which manufacturing')


def test_the_panel_keeps_the_api_words_and_only_stops_line_breaks_inside_figures_and_names():
    sentence = "You used 37 % more energy than GPT-4o would have. Your carbon is within GPT-4o's (2 % lower)."
    shown = unbroken(sentence)
    assert ' %' not in shown and 'GPT-4o' not in shown
    assert shown.replace('\u00a0', ' ').replace('\u2011', '-') == sentence
