"""Real Chromium, desktop and phone: an open dashboard shows generations recorded over the HTTP API without a
reload, with the database's figures; the header says it is live. On PostgreSQL, traffic recorded by one app
process shows on a dashboard served by another."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from services import db
from services.account.accounts import create_account, current_account
from services.billing.ledger import credit_balance
from services.keys.api_keys import create_key
from services.models import LedgerEntry
from services.money import format_money
from services.usage.dashboard import usage_today
from services.usage.totals import recent_generations, spent_this_month
from tests.browser.conftest import DESKTOP, MOBILE, screenshot, serve
from tests.conftest import SERVER_URL, fresh_database

VIEWPORTS = pytest.mark.parametrize('viewport', [DESKTOP, MOBILE], ids=['desktop', 'mobile'])
WAIT_MS = 10_000  # within about a second in use; generous for a busy test machine


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The app on a database with one account (a balance, an ingest key, one generation): (base URL, headers)."""
    with fresh_database(tmp_path_factory.mktemp('live')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Live', timezone='Europe/Berlin')
            session.add(
                LedgerEntry(
                    account_id=account.id,
                    kind='top_up',
                    amount_micros=25_000_000,
                    currency='USD',
                    idempotency_key='start',
                )
            )
            secret = create_key(session, account, name='ingest', scopes=['ingest', 'read']).secret
        headers = {'Authorization': f'Bearer {secret}'}
        server = serve(url, '--no-demo')
        base = next(server)
        _ingest(base, headers, 1)
        yield base, headers, url
        server.close()


def _ingest(base: str, headers: dict, n: int, model: str = 'openai/gpt-4o-mini') -> list[str]:
    body = {'generations': [{'model': model, 'prompt_tokens': 3000, 'completion_tokens': 900} for _ in range(n)]}
    answer = httpx.post(f'{base}/api/v1/generations/batch', json=body, headers=headers, timeout=30)
    assert answer.status_code in (200, 201), answer.text
    return [item['id'] for item in answer.json()['items']]


def _page(browser, viewport):
    phone = viewport is MOBILE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=2)
    return context, context.new_page()


def _rows_selector(viewport) -> str:
    return '.lr-transactions-phone a.lr-phone-row' if viewport is MOBILE else '.lr-transactions tbody tr'


def _shown_ids(page, viewport) -> list[str]:
    if viewport is MOBILE:
        hrefs = page.eval_on_selector_all(_rows_selector(viewport), 'rows => rows.map(r => r.getAttribute("href"))')
        return [href.split('/transactions/')[1].split('?')[0] for href in hrefs]
    return page.eval_on_selector_all(_rows_selector(viewport), 'rows => rows.map(r => r.dataset.id)')


def _database_figures(url: str):
    db.init_db(url)
    with db.read_scope() as session:
        account = current_account(session)
        return {
            'balance': format_money(credit_balance(session, account), 'USD'),
            'spent': format_money(spent_this_month(session, account), 'USD'),
            'requests': f'{usage_today(session, account).requests:,}',
            'recent': [g.id for g in recent_generations(session, account.id)],
        }


@VIEWPORTS
def test_generations_recorded_over_the_api_appear_without_a_reload(site, browser, viewport):
    base, headers, url = site
    context, page = _page(browser, viewport)
    page.goto(f'{base}/dashboard')
    page.wait_for_selector('.lr-live[data-on="true"]', timeout=WAIT_MS)
    loads = page.evaluate('performance.getEntriesByType("navigation").length')
    before = page.locator(_rows_selector(viewport)).count()
    new_ids = _ingest(base, headers, 7, model='openai/gpt-4o')
    page.wait_for_function(
        f'document.querySelectorAll({_rows_selector(viewport)!r}).length >= {before + 7}', timeout=WAIT_MS
    )
    page.wait_for_timeout(1500)  # the slide-in ends
    expected = _database_figures(url)
    assert set(expected['recent'][:7]) == set(new_ids)
    assert page.locator('.lr-balance').inner_text() == expected['balance']
    assert expected['spent'] in page.locator('.lr-spent-month').inner_text()
    assert page.evaluate('performance.getEntriesByType("navigation").length') == loads  # no reload
    assert _shown_ids(page, viewport) == expected['recent']
    usage_card = page.locator('.lr-card', has_text='Usage today')
    assert expected['requests'] in usage_card.inner_text()
    assert page.locator('.lr-live').inner_text().strip() == 'Live'
    screenshot(page, f'live-dashboard-{"phone" if viewport is MOBILE else "desktop"}')
    context.close()


def test_the_mark_says_offline_when_the_connection_is_lost(site, browser):
    base, _, _ = site
    context, page = _page(browser, DESKTOP)
    page.goto(f'{base}/dashboard')
    page.wait_for_selector('.lr-live[data-on="true"]', timeout=WAIT_MS)
    page.evaluate('window.socket.io.opts.reconnection = false; window.socket.disconnect()')
    page.wait_for_selector('.lr-live[data-on="false"]', timeout=WAIT_MS)
    assert page.locator('.lr-live').inner_text().strip() == 'Offline'
    context.close()


@pytest.mark.skipif(not SERVER_URL.startswith('postgresql'), reason='several app processes share a database server')
def test_traffic_into_one_process_shows_on_a_dashboard_served_by_another(site, browser):
    base, headers, url = site
    other = serve(url, '--no-demo')  # a second process on the same database
    other_base = next(other)
    try:
        context, page = _page(browser, DESKTOP)
        page.goto(f'{base}/dashboard')
        page.wait_for_selector('.lr-live[data-on="true"]', timeout=WAIT_MS)
        before = page.locator(_rows_selector(DESKTOP)).count()
        _ingest(other_base, headers, 3, model='mistral/mistral-small')
        page.wait_for_function(
            f'document.querySelectorAll({_rows_selector(DESKTOP)!r}).length >= {min(before + 3, 50)}',
            timeout=WAIT_MS,
        )
        expected = _database_figures(url)
        assert page.locator('.lr-balance').inner_text() == expected['balance']
        assert 'mistral' in page.locator('.lr-transactions tbody tr').first.inner_text().lower()
        context.close()
    finally:
        other.close()


def test_models_trading_places_in_usage_today_keep_their_links(site, browser):
    """A model overtaking another in Usage today moves to the top row in place: the row's link filters to the
    model it now shows."""
    base, headers, url = site
    _ingest(base, headers, 1, model='mistral/mistral-small')  # at least two models are listed
    context, page = _page(browser, DESKTOP)
    page.goto(f'{base}/dashboard')
    page.wait_for_selector('.lr-live[data-on="true"]', timeout=WAIT_MS)
    db.init_db(url)
    with db.read_scope() as session:
        listed = usage_today(session, current_account(session)).by_model[:5]
    last, top_tokens = listed[-1].model, listed[0].tokens
    _ingest(base, headers, min(500, top_tokens // 3900 + 1), model=last)  # 3 900 tokens each: now the largest
    href = f'/dashboard?model={quote(last, safe="")}'
    first_row = '.lr-usage-models a'
    page.wait_for_function(f'document.querySelector({first_row!r}).getAttribute("href") === {href!r}', timeout=WAIT_MS)
    assert page.locator(first_row).first.get_attribute('title') == f'Show only {last}'
    page.locator(first_row).first.click()
    page.wait_for_url(f'**{href}', timeout=WAIT_MS)
    assert page.get_by_text('Showing only').count() >= 1
    context.close()
