"""Real Chromium on /logs while generations arrive through the HTTP API with a real key, desktop 1280x800 and
phone 390x844: at the top the new rows come on top without a reload, with the count; scrolled down the list
stays where it is and an "N new" chip waits with the right N; clicking it brings them, and the list's top."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from services.usage.ingest import record_generation
from services.usage.ranges import resolve_range
from tests.browser.conftest import serve
from tests.conftest import fresh_database
from tests.support import factories

SHOTS = Path(tempfile.gettempdir()) / 'lowrouter-logs-live-shots'
ZONE = 'Europe/Paris'
MODEL = 'openai/gpt-4o-mini'


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The app over one account with 60 generations of the last hours and a key that may record; yields
    (base URL, API headers)."""
    now = datetime.now(UTC)
    with fresh_database(tmp_path_factory.mktemp('logs-live')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Acme', timezone=ZONE)
            secret = create_key(session, account, name='prod', scopes=['ingest', 'read']).secret
            offer = factories.offer_of(MODEL)
            for i in range(60):
                payload = {'model': MODEL, 'provider': offer.provider, 'region': offer.region, 'prompt_tokens': 100 + i}
                payload |= {'completion_tokens': 20, 'created_at': now - timedelta(minutes=3 + 4 * i)}
                record_generation(session, account, payload)
        server = serve(url, '--no-demo')
        yield next(server), {'Authorization': f'Bearer {secret}'}
        server.close()


@pytest.fixture(params=['desktop', 'mobile'])
def page(request):
    return request.getfixturevalue(request.param)


def ingest(base: str, headers: dict, count: int) -> list[str]:
    """`count` generations recorded through the API, one request each; their ids, oldest first."""
    ids = []
    for n in range(count):
        body = {'model': MODEL, 'prompt_tokens': 50 + n, 'completion_tokens': 10}
        answer = httpx.post(f'{base}/api/v1/generations', json=body, headers=headers, timeout=30)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()['id'])
    return ids


def requests_in_view(base: str, headers: dict) -> int:
    """The generations of the default view (30 days) by the API's usage figures."""
    period = resolve_range(ZONE, None)
    params = {'from': period.since.isoformat(), 'to': period.until.isoformat(), 'group_by': 'model'}
    answer = httpx.get(f'{base}/api/v1/usage', params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return sum(item['requests'] for item in answer.json()['items'])


def shown_ids(page) -> list[str]:
    return page.eval_on_selector_all('a.lr-log-row', 'rows => rows.map((row) => row.dataset.id)')


def wait_for(check, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, 'the page did not update in time'
        time.sleep(0.1)


def test_new_rows_on_top_then_a_chip_while_scrolled_down(site, page):
    base, headers = site
    page.goto(f'{base}/logs')
    page.locator('a.lr-log-row').first.wait_for()
    page.locator('.lr-live[data-on="true"]').wait_for()
    page.evaluate('window.lrStillTheSamePage = true')  # gone if the page reloaded
    before = shown_ids(page)
    count = requests_in_view(base, headers)
    page.get_by_text(f'{count} generations in ').wait_for()

    # at the top: the new rows come on top, and the count with them; an open menu stays open
    page.get_by_label('Status', exact=True).click()
    option = page.get_by_role('option', name='Failed', exact=True)
    option.wait_for()
    new = ingest(base, headers, 2)
    wait_for(lambda: shown_ids(page)[:2] == new[::-1])
    assert shown_ids(page) == new[::-1] + before
    page.get_by_text(f'{count + 2} generations in ').wait_for()
    assert requests_in_view(base, headers) == count + 2
    assert option.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f'logs-live-top-{page.viewport_size["width"]}.png'))
    page.keyboard.press('Escape')
    option.wait_for(state='hidden')
    assert page.evaluate('window.lrStillTheSamePage === true')

    # scrolled down: the list stays where it is, a chip says how many wait
    page.evaluate("document.querySelectorAll('a.lr-log-row')[30].scrollIntoView({block: 'center'})")
    page.wait_for_timeout(400)  # the scroll listener tells the server (once)
    anchor = page.locator('a.lr-log-row').nth(30)
    where = (page.evaluate('window.scrollY'), anchor.bounding_box()['y'])
    shown = shown_ids(page)
    waiting = ingest(base, headers, 3)
    chip = page.get_by_role('button', name='3 new generations')
    chip.wait_for()
    assert shown_ids(page) == shown
    assert (page.evaluate('window.scrollY'), anchor.bounding_box()['y']) == where
    assert chip.is_visible() and chip.bounding_box()['y'] < 120  # floats under the header, in view
    assert page.get_by_text(f'{count + 2} generations in ').count() == 1  # the count waits with the rows
    page.screenshot(path=str(SHOTS / f'logs-live-chip-{page.viewport_size["width"]}.png'))

    one_more = ingest(base, headers, 1)
    page.get_by_role('button', name='4 new generations').wait_for()
    assert shown_ids(page) == shown

    # the chip brings them on top, and the operator to the list's top
    page.get_by_role('button', name='4 new generations').click()
    wait_for(lambda: shown_ids(page)[:4] == (waiting + one_more)[::-1])
    assert shown_ids(page) == (waiting + one_more)[::-1] + shown
    page.get_by_text(f'{count + 6} generations in ').wait_for()
    assert requests_in_view(base, headers) == count + 6
    wait_for(lambda: page.locator('.lr-log-chip').is_hidden())
    first_row = page.locator('a.lr-log-row').first.bounding_box()
    assert 0 <= first_row['y'] < page.viewport_size['height'] / 2
    assert page.evaluate('window.lrStillTheSamePage === true')
    ids = shown_ids(page)
    assert len(ids) == len(set(ids))


def test_a_page_that_lost_its_connection_catches_up_where_the_operator_is(site, desktop):
    base, headers = site
    page = desktop
    page.goto(f'{base}/logs')
    page.locator('a.lr-log-row').first.wait_for()
    page.locator('.lr-live[data-on="true"]').wait_for()
    before = shown_ids(page)

    page.evaluate('window.socket.disconnect()')
    page.locator('.lr-live[data-on="false"]').wait_for()
    missed = ingest(base, headers, 3)
    page.wait_for_timeout(1500)
    assert shown_ids(page) == before
    page.evaluate("document.querySelectorAll('a.lr-log-row')[30].scrollIntoView({block: 'center'})")  # offline

    page.evaluate('window.socket.connect()')
    page.locator('.lr-live[data-on="true"]').wait_for()
    page.get_by_role('button', name='3 new generations').wait_for()  # where the operator is: further down
    assert shown_ids(page) == before
    page.get_by_role('button', name='3 new generations').click()
    wait_for(lambda: shown_ids(page)[:3] == missed[::-1])
    assert shown_ids(page) == missed[::-1] + before
    page.get_by_text(f'{requests_in_view(base, headers)} generations in ').wait_for()
