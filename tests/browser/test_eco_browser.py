"""The Eco impact panel in its three states, and the methodology page, on desktop and phone."""

from datetime import UTC, datetime, timedelta

import pytest

from services import db
from services.accounts import create_account, current_account
from services.catalog import get_catalog
from services.ingest import record_generation
from services.settings import set_eco_baseline
from tests.browser.conftest import no_horizontal_overflow, screenshot, serve
from tests.conftest import fresh_database

MODEL = 'meta-llama/llama-3.1-70b-instruct'


@pytest.fixture(scope='module')
def eco_server(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp('eco')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            create_account(session, name='Eco Co', timezone='Europe/Paris')
        _add(12)
        yield from serve(url, '--no-demo')


def _add(count: int) -> None:
    offer = get_catalog().offers_for(MODEL)[0]
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = current_account(session)
        for i in range(count):
            record_generation(
                session,
                account,
                {
                    'model': MODEL,
                    'provider': offer.provider,
                    'region': offer.region,
                    'prompt_tokens': 800,
                    'completion_tokens': 300 + i,
                    'created_at': now - timedelta(minutes=5 + i),
                },
            )


def _baseline(model: str) -> None:
    with db.session_scope() as session:
        set_eco_baseline(session, current_account(session), model)


def _shoot(page, url: str, name: str) -> None:
    page.goto(f'{url}/dashboard')
    panel = page.locator('.lr-card', has_text='Eco impact')
    panel.wait_for()
    panel.screenshot(path=str(screenshot(page, name)))


def test_eco_panel_states(eco_server, desktop, mobile):
    _baseline('meta-llama/llama-3.1-405b-instruct')
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-reduced-confidence-{device}')
        assert page.get_by_text('Reduced confidence').is_visible()
        assert page.get_by_text('Few generations in this window').is_visible()
    _add(120)
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-saved-{device}')
        assert page.get_by_text('You saved').is_visible()
        assert not page.get_by_text('Reduced confidence').is_visible()
    _baseline('meta-llama/llama-3.1-8b-instruct')
    for page, device in ((desktop, 'desktop'), (mobile, 'mobile')):
        _shoot(page, eco_server, f'eco-used-more-{device}')
        assert page.get_by_text('more energy than Llama 3.1 8B Instruct').is_visible()
        assert no_horizontal_overflow(page)


def test_a_caveat_links_to_its_methodology_section(eco_server, desktop, mobile):
    _baseline('openai/gpt-4o')
    desktop.goto(f'{eco_server}/dashboard')
    desktop.get_by_text("The baseline model's size is itself an estimate.").click()
    desktop.wait_for_url('**/eco/methodology#baseline-estimated')
    assert desktop.locator('#baseline-estimated').is_visible()
    screenshot(desktop, 'methodology-desktop')
    mobile.goto(f'{eco_server}/eco/methodology')
    mobile.get_by_text('How lowrouter estimates energy and carbon').wait_for()
    screenshot(mobile, 'methodology-mobile')


def test_top_models_switches_to_carbon(eco_server, desktop):
    desktop.goto(f'{eco_server}/dashboard')
    desktop.locator('.lr-top-models .main-svg').first.wait_for()
    desktop.locator('.lr-metric-toggle').get_by_text('Carbon').click()
    desktop.locator('.lr-top-models').get_by_text('Carbon (g CO2e)').wait_for()
    desktop.locator('.lr-card', has_text='Top models').screenshot(path=str(screenshot(desktop, 'top-models-carbon')))
