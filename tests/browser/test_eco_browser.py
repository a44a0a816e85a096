"""The Eco impact panel in its three states, and the methodology page, on desktop and phone."""

import dataclasses
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from components.eco_panel import unbroken
from services import db
from services.account.accounts import current_account
from services.account.settings import set_eco_baseline
from services.eco import estimate as eco
from services.eco.impact import caveat_text, eco_impact
from tests.browser.conftest import no_horizontal_overflow, screenshot, serve
from tests.conftest import fresh_database
from tests.support import factories

MODEL = 'meta-llama/llama-3.1-70b-instruct'
SMALL = 'meta-llama/llama-3.1-8b-instruct'
OLD_STAMP = 'eco-2 · EcoLogits 0.11.3 · data 00000000'  # an earlier eco data set: no longer computable
WHERE = ('aws-bedrock', 'us-west-2')  # a region with grid data of its own: no grid caveat


@pytest.fixture(scope='module')
def eco_server(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp('eco')) as url:
        db.init_db(url)
        factories.account(name='Eco Co', timezone='Europe/Paris')
        _add(12)
        yield from serve(url, '--no-demo')


def _add(count: int, model: str = MODEL) -> None:
    """`count` generations of `model` at WHERE, over the last minutes."""
    provider, region = WHERE
    now = datetime.now(UTC)
    with db.session_scope() as session:
        factories.generations(
            current_account(session),
            (
                {
                    'model': model,
                    'provider': provider,
                    'region': region,
                    'prompt_tokens': 800,
                    'completion_tokens': 300 + i,
                    'created_at': now - timedelta(minutes=5 + i),
                }
                for i in range(count)
            ),
            session=session,
        )


@contextmanager
def stamped(version: str):
    """Records ingested meanwhile carry `version`, as records of an earlier eco data set do."""
    real = eco.estimate

    def estimate(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), methodology_version=version)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(eco, 'estimate', estimate)
        yield


def _baseline(model: str) -> None:
    with db.session_scope() as session:
        set_eco_baseline(session, current_account(session), model)


def _impact(model: str | None = None):
    with db.session_scope() as session:
        return eco_impact(session, current_account(session), model=model)


def _shoot(page, url: str, name: str, query: str = '') -> None:
    page.goto(f'{url}/dashboard{query}')
    panel = page.locator('.lr-card', has_text='Eco impact')
    panel.wait_for()
    panel.screenshot(path=str(screenshot(page, name)))


def test_eco_panel_states(eco_server, desktop, mobile):
    _baseline('meta-llama/llama-3.1-405b-instruct')
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-reduced-confidence-{device}')
        assert page.get_by_text('Reduced confidence').is_visible()
        assert page.get_by_text('Few generations in this window').is_visible()
        assert page.get_by_text(unbroken(_impact().summary)).is_visible()
    _add(120)
    _baseline('openai/gpt-4o')
    within = _impact()
    assert within.energy_verdict == 'within'
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-within-{device}')
        assert page.get_by_text(unbroken(within.summary)).is_visible()
        assert page.get_by_text('of which manufacturing').is_visible()
        assert page.get_by_text('GPT-4o, same usage').is_visible()
        assert no_horizontal_overflow(page)
    _baseline(SMALL)
    higher = _impact()
    assert higher.energy_verdict == 'higher'
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-higher-{device}')
        assert page.get_by_text(unbroken(higher.summary)).is_visible()
        assert not page.get_by_text('Reduced confidence').is_visible()
        assert no_horizontal_overflow(page)
    _add(120, SMALL)
    _baseline('meta-llama/llama-3.1-405b-instruct')
    lower = _impact(SMALL)
    assert lower.energy_verdict == 'lower'
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-lower-{device}', f'?model={SMALL}')
        assert page.get_by_text(unbroken(lower.summary)).is_visible()
        assert no_horizontal_overflow(page)
    with stamped(OLD_STAMP):
        _add(30, SMALL)
    mixed = _impact(SMALL)
    assert mixed.not_comparable_versions == [OLD_STAMP]
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-mixed-versions-{device}', f'?model={SMALL}')
        assert page.get_by_text(caveat_text(mixed, 'not_comparable')).is_visible()
        assert page.get_by_text(caveat_text(mixed, 'mixed_methodology')).is_visible()
        assert page.get_by_text('Compared: 120 of 150 requests.', exact=False).is_visible()
        assert no_horizontal_overflow(page)


def test_a_caveat_links_to_its_methodology_section(eco_server, desktop, mobile):
    _baseline('openai/gpt-4o')
    desktop.goto(f'{eco_server}/dashboard')
    desktop.get_by_text("The baseline model's size is itself an estimate.").click()
    desktop.wait_for_url('**/eco/methodology#baseline-estimated')
    expect(desktop.locator('#baseline-estimated')).to_be_in_viewport()  # scrolled to the section, not just there
    assert no_horizontal_overflow(desktop)
    screenshot(desktop, 'methodology-desktop')
    mobile.goto(f'{eco_server}/eco/methodology')
    mobile.get_by_text('How lowrouter estimates energy and carbon').wait_for()
    assert no_horizontal_overflow(mobile)  # wide tables turn into cards, narrow ones wrap: nothing is clipped
    screenshot(mobile, 'methodology-mobile')


def test_top_models_switches_to_carbon(eco_server, desktop):
    desktop.goto(f'{eco_server}/dashboard')
    desktop.locator('.lr-top-models .main-svg').first.wait_for()
    desktop.locator('.lr-metric-toggle').get_by_text('Carbon').click()
    desktop.locator('.lr-top-models').get_by_text('Carbon (g CO2e)').wait_for()
    desktop.locator('.lr-card', has_text='Top models').screenshot(path=str(screenshot(desktop, 'top-models-carbon')))
