"""Real Chromium, two tabs of one operator, desktop and phone: what one tab changes shows in the other within
about a second, without a reload (the scroll position and an open dialog stay); and the page of a stream in
progress turns into its full record when the stream ends (a real router request to a slow fake upstream)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from services import db
from services.billing.ledger import credit_balance, receipts
from services.catalog import get_catalog
from services.models import Account, Generation
from services.money import format_money
from tests.browser.conftest import DESKTOP, MOBILE, no_horizontal_overflow, screenshot
from tests.support.gateway_app import GatewayApp, gateway_app

VIEWPORTS = {'desktop': DESKTOP, 'phone': MOBILE}
LIVE_S = 5_000  # ms to wait for the other tab (it refreshes within about a second)
MARK = 'window.__lrSamePage'  # set before a change: still there afterwards means the page did not reload


@pytest.fixture(scope='module')
def app(tmp_path_factory) -> Iterator[GatewayApp]:
    with gateway_app(tmp_path_factory.mktemp('live-tabs'), account_name='Two Tabs', credit='40.00') as running:
        yield running


@pytest.fixture(params=list(VIEWPORTS))
def tabs(request, browser):
    """(viewport name, tab A, tab B): two pages of one browser context, as two tabs of one operator."""
    phone = request.param == 'phone'
    context = browser.new_context(
        viewport=VIEWPORTS[request.param], is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1
    )
    yield request.param, context.new_page(), context.new_page()
    context.close()


def _db_balance(app: GatewayApp) -> str:
    with db.read_scope() as session:
        account = session.get(Account, app.account_id)
        return format_money(credit_balance(session, account), account.currency)


def _db_receipts(app: GatewayApp) -> int:
    with db.read_scope() as session:
        return len(receipts(session, app.account_id))


def _live(page) -> None:
    """Wait until the page's live connection is up, and mark the page (see MARK)."""
    expect(page.locator('.lr-live[data-on="true"]')).to_be_visible(timeout=LIVE_S)
    page.evaluate(f'{MARK} = true')


def _scroll(page, y: int) -> int:
    page.evaluate(f'window.scrollTo(0, {y})')
    return page.evaluate('window.scrollY')


def test_a_top_up_in_one_tab_shows_in_the_other(app, tabs):
    name, first, second = tabs
    for page in (first, second):
        page.goto(f'{app.base}/credits')
        _live(page)
    before = second.locator('.lr-balance').inner_text()
    assert before == _db_balance(app)
    scrolled = _scroll(second, 260)

    first.get_by_role('button', name='Top up', exact=True).click()
    dialog = first.locator('.q-dialog')
    dialog.get_by_role('button', name='Add $').click()
    first.get_by_text('to your balance. Receipt').wait_for()
    after = _db_balance(app)
    assert after != before
    expect(second.locator('.lr-balance')).to_have_text(after, timeout=LIVE_S)
    if name == 'desktop':
        receipts = second.locator('.lr-billing tbody tr')
    else:
        receipts = second.get_by_role('button', name='Download PDF')
    expect(receipts).to_have_count(_db_receipts(app), timeout=LIVE_S)  # the new one among them
    assert second.evaluate(MARK) is True  # updated in place, not reloaded
    assert second.evaluate('window.scrollY') == scrolled
    assert no_horizontal_overflow(second)
    screenshot(second, f'live-credits-other-tab-{name}')


def _key(page, name: str, phone: bool):
    """The key's row (desktop) or card (phone)."""
    if phone:
        return page.locator('.lr-card', has=page.locator('.lr-key-body').get_by_text(name, exact=True))
    return page.locator('.lr-keys tbody tr', has_text=name)


def test_keys_created_and_revoked_in_one_tab_show_in_the_other(app, tabs):
    name, first, second = tabs
    phone = name == 'phone'
    key_name = f'made-in-tab-{name}'
    for page in (first, second):
        page.goto(f'{app.base}/keys')
        _live(page)
    second.get_by_role('button', name='Create key').click()  # the other tab has a dialog open, half filled
    draft = second.locator('.q-dialog')
    draft.get_by_label('Name').fill('a draft in the other tab')

    first.get_by_role('button', name='Create key').click()
    dialog = first.locator('.q-dialog')
    dialog.get_by_label('Name').fill(key_name)
    dialog.get_by_role('button', name='Create key').click()
    first.get_by_role('button', name='Done, I have saved it').click()
    dialog.wait_for(state='detached')

    expect(_key(second, key_name, phone)).to_have_count(1, timeout=LIVE_S)
    expect(draft.get_by_label('Name')).to_have_value('a draft in the other tab')  # the dialog stayed open
    screenshot(second, f'live-keys-dialog-kept-{name}')
    draft.get_by_role('button', name='Cancel').click()
    draft.wait_for(state='detached')

    _key(first, key_name, phone).get_by_role('button', name='Revoke').click()
    first.locator('.q-dialog').get_by_role('button', name='Revoke key').click()
    first.get_by_text(f'Revoked “{key_name}”').wait_for()
    expect(_key(second, key_name, phone)).to_contain_text('Revoked', timeout=LIVE_S)
    expect(_key(second, key_name, phone).get_by_role('button', name='Revoke')).to_have_count(0)
    assert second.evaluate(MARK) is True
    assert no_horizontal_overflow(second)
    screenshot(second, f'live-keys-other-tab-{name}')


def test_the_page_of_a_stream_in_progress_becomes_its_record(app, tabs):
    name, page, _ = tabs
    started, seen = threading.Event(), {}

    def stream() -> None:
        body = {'model': 'openai/gpt-4o-mini', 'messages': [{'role': 'user', 'content': 'hi'}], 'stream': True}
        with httpx.stream(
            'POST', f'{app.base}/api/v1/chat/completions', headers=app.headers, json=body, timeout=60
        ) as response:
            seen['status'] = response.status_code
            seen['id'] = response.headers.get('X-Lowrouter-Generation-Id')
            started.set()
            seen['body'] = b''.join(response.iter_bytes())

    app.upstream.slow.update(get_catalog().providers)  # a long stream, wherever it is routed
    runner = threading.Thread(target=stream, daemon=True)
    try:
        runner.start()
        assert started.wait(15) and seen['status'] == 200, seen
        generation_id = seen['id']
        page.goto(f'{app.base}/transactions/{generation_id}')
        expect(page.get_by_text('Generation in progress')).to_be_visible(timeout=LIVE_S)
        expect(page.get_by_text(generation_id)).to_be_visible()
        _live(page)
        with db.read_scope() as session:
            assert session.get(Generation, generation_id) is None  # the stream is still running
        assert no_horizontal_overflow(page)
        screenshot(page, f'live-stream-in-progress-{name}')
        runner.join(30)
        assert not runner.is_alive() and seen['body'].rstrip().endswith(b'data: [DONE]')
    finally:
        app.upstream.slow.clear()
    expect(page.get_by_text('Tokens and cost')).to_be_visible(timeout=LIVE_S)
    expect(page.get_by_text('Generation in progress')).to_have_count(0)
    with db.read_scope() as session:
        stored = session.get(Generation, generation_id)
    assert stored is not None and stored.status == 'completed' and stored.completion_tokens == 200
    tokens = page.locator('.q-card', has_text='Tokens and cost')
    expect(tokens).to_contain_text(f'{stored.completion_tokens:,}')
    expect(tokens).to_contain_text(format_money(stored.cost_micros, stored.currency, precise=True))
    assert page.evaluate(MARK) is True  # the same page, updated in place
    assert no_horizontal_overflow(page)
    screenshot(page, f'live-stream-recorded-{name}')
