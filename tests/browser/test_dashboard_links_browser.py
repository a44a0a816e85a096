"""Real Chromium, desktop and phone: the dashboard opens /usage from a bar of Top models, a transaction opens from
the keyboard and links back to the filtered dashboard it came from, the phone's list says where each generation
ran, and an account with nothing recorded gets a start guide.

/usage is another page: these tests check where a link leads (its URL), not what that page shows."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from services import db
from services.account.accounts import create_account
from tests.browser.conftest import DESKTOP, MOBILE, no_horizontal_overflow, screenshot, serve
from tests.conftest import fresh_database

VIEWPORTS = pytest.mark.parametrize('viewport', [DESKTOP, MOBILE], ids=['desktop', 'mobile'])


@pytest.fixture(scope='module')
def empty_site(tmp_path_factory):
    """The app on a database with one account that has recorded nothing."""
    with fresh_database(tmp_path_factory.mktemp('empty')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            create_account(session, name='Newcomer')
        server = serve(url, '--no-demo')
        yield next(server)
        server.close()


def _page(browser, viewport):
    phone = viewport is MOBILE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=2)
    return context, context.new_page()


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@VIEWPORTS
def test_a_bar_of_top_models_opens_usage_for_that_model(server, browser, viewport):
    context, page = _page(browser, viewport)
    page.goto(f'{server}/dashboard')
    chart = page.locator('.lr-top-models')
    chart.locator('.main-svg').first.wait_for()
    models = page.evaluate("document.querySelector('.lr-top-models').data[0].customdata.map(c => c[0])")
    bar = chart.locator('.trace.bars .point').last  # the largest model: drawn on top
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box['x'] + box['width'] / 2, box['y'] + box['height'] / 2)
    page.wait_for_url('**/usage?*')
    query = _query(page.url)
    assert query == {'range': '30d', 'model': models[-1]}  # group and metric at their defaults (model, tokens)
    context.close()


def _focus_by_tab(page, selector: str, presses: int = 120) -> None:
    for _ in range(presses):
        page.keyboard.press('Tab')
        if page.evaluate('(s) => document.activeElement?.matches(s) ?? false', selector):
            return
    raise AssertionError(f'Tab never reached {selector}')


@VIEWPORTS
def test_a_row_opens_with_tab_and_enter_and_leads_back_to_the_filtered_dashboard(server, browser, viewport):
    phone = viewport is MOBILE
    context, page = _page(browser, viewport)
    page.goto(f'{server}/dashboard')
    model = page.locator('.lr-usage-models a').first.get_attribute('href').split('model=')[1]
    page.goto(f'{server}/dashboard?model={model}')
    page.get_by_text('Showing only').wait_for()
    row = '.lr-transactions-phone a.lr-phone-row' if phone else '.lr-transactions tbody tr.lr-row-link'
    page.locator(row).first.wait_for()
    _focus_by_tab(page, row)
    if phone:  # a visible focus ring: the link's outline, or on the table the row's cells
        assert page.evaluate('getComputedStyle(document.activeElement).outlineStyle') == 'solid'
    else:
        assert 'inset' in page.evaluate('getComputedStyle(document.activeElement.cells[0]).boxShadow')
    screenshot(page, f'dashboard-row-focus-{"mobile" if phone else "desktop"}', full_page=False)
    page.keyboard.press('Enter')
    page.wait_for_url('**/transactions/gen-*')
    assert _query(page.url) == {'back': f'/dashboard?model={model}'}
    back = page.get_by_role('link', name='← Dashboard')
    back.wait_for()
    page.get_by_text('Routing trace').wait_for()
    assert no_horizontal_overflow(page)
    screenshot(page, f'transaction-with-back-{"mobile" if phone else "desktop"}')
    back.click()
    page.wait_for_url(f'**/dashboard?model={model}')
    page.get_by_text('Showing only').wait_for()
    context.close()


def test_an_unsafe_back_leads_to_the_dashboard(server, desktop):
    desktop.goto(f'{server}/dashboard')
    href = desktop.locator('.lr-transactions-phone a').first.get_attribute('href')
    desktop.goto(f'{server}{href}?back={quote("//evil.example/dashboard", safe="")}')
    back = desktop.get_by_role('link', name='← Dashboard')
    back.wait_for()
    assert back.get_attribute('href') == '/dashboard'


def test_the_phone_list_says_where_each_generation_ran(server, mobile):
    mobile.goto(f'{server}/dashboard')
    rows = mobile.locator('.lr-transactions-phone a.lr-phone-row')
    rows.first.wait_for()
    assert not mobile.locator('.lr-transactions').is_visible()  # the wide table is for wide screens
    where = rows.first.locator('.lr-phone-where')
    assert where.is_visible()
    provider, region = where.inner_text().split(' · ')
    assert provider and region
    box = where.bounding_box()
    assert box['x'] >= 0 and box['x'] + box['width'] <= MOBILE['width']
    assert no_horizontal_overflow(mobile)
    mobile.get_by_role('button', name='Menu').click()
    drawer = mobile.locator('.q-drawer')
    for label in ('Usage', 'Logs'):
        drawer.get_by_text(label, exact=True).wait_for(state='visible')


@VIEWPORTS
def test_an_empty_account_gets_a_start_guide(empty_site, browser, viewport):
    phone = viewport is MOBILE
    context, page = _page(browser, viewport)
    page.goto(f'{empty_site}/dashboard')
    guide = page.locator('.lr-start-guide')
    guide.wait_for()
    page.get_by_text('Credit balance', exact=True).wait_for()
    for step in ('Create an API key', 'Send a first request', 'Configure an upstream'):
        assert guide.get_by_text(step, exact=True).is_visible(), step
    curl = guide.locator('.lr-guide-code').inner_text()
    assert curl.startswith(f'curl {empty_site}/api/v1/chat/completions')
    absent_titles = ('Usage today', 'Top models (last 30 days)', 'Eco impact', 'Recent transactions')
    for absent in (*absent_titles, 'Reduced confidence'):
        assert page.get_by_text(absent, exact=True).count() == 0, absent
    assert page.locator('.js-plotly-plot').count() == 0
    assert no_horizontal_overflow(page)
    screenshot(page, f'dashboard-start-guide-{"mobile" if phone else "desktop"}')
    guide.get_by_role('link', name='Create a key').click()
    page.wait_for_url('**/keys')
    context.close()
