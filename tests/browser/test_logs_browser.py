"""Real Chromium on /logs, desktop 1280x800 and phone 390x844: presets, a custom range, a filter, "Load more",
keyboard rows, search by id, and the CSV export with its progress, whose rows are the API's usage requests."""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services import db
from services.account.accounts import create_account
from services.usage.ingest import record_generation
from services.usage.ranges import resolve_range
from tests.browser.conftest import MOBILE, no_horizontal_overflow, serve
from tests.conftest import fresh_database
from tests.support import factories

SHOTS = Path(tempfile.gettempdir()) / 'lowrouter-logs-shots'
ZONE = 'Europe/Paris'
MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']
STATUSES = ['completed', 'completed', 'failed', 'completed', 'cancelled']


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The app over one account: 130 generations in the last 3 days and 20 more 20 to 40 days ago; yields
    (base URL, API headers, generation ids newest first)."""
    now = datetime.now(UTC)
    with fresh_database(tmp_path_factory.mktemp('logs')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Acme', timezone=ZONE)
            key = factories.api_key(account, session=session, name='prod', scopes=('read', 'inference'))
            moments = [now - timedelta(minutes=31 * i + 2) for i in range(130)]
            moments += [now - timedelta(days=20, hours=i) for i in range(20)]
            ids = []
            for i, moment in enumerate(moments):
                offer = factories.offer_of(MODELS[i % 3])
                payload = {
                    'model': offer.model,
                    'provider': offer.provider,
                    'region': offer.region,
                    'prompt_tokens': 300 + i,
                    'completion_tokens': 40 + i,
                    'status': STATUSES[i % 5],
                    'latency_ms': 900 + 7 * i,
                    'created_at': moment,
                } | ({'ttft_ms': 180 + i} if i % 3 == 0 else {})
                ids.append(record_generation(session, account, payload, api_key_id=key.key.id)[0].id)
        server = serve(url, '--no-demo')
        yield next(server), factories.bearer(key), ids
        server.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate('window.scrollTo(0, 0)')
    page.screenshot(path=str(SHOTS / f'{name}.png'), full_page=True)


def rows(page):
    return page.locator('a.lr-log-row')


def choose(page, label: str, option: str) -> None:
    page.get_by_label(label, exact=True).click()
    page.get_by_role('option', name=option, exact=True).click()


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def usage_requests(base: str, headers: dict, since: datetime, until: datetime, **filters) -> int:
    params = {'from': since.isoformat(), 'to': until.isoformat(), 'group_by': 'model'} | filters
    answer = httpx.get(f'{base}/api/v1/usage', params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return sum(item['requests'] for item in answer.json()['items'])


def test_desktop_presets_custom_range_filter_and_load_more(site, desktop):
    base, headers, ids = site
    page = desktop
    page.goto(f'{base}/logs')
    rows(page).first.wait_for()
    page.get_by_text(re.compile(r'^150 generations in ')).wait_for()  # 30 days: the 130 recent, the 20 older
    assert rows(page).count() == 50
    assert [rows(page).nth(i).get_attribute('data-id') for i in range(50)] == ids[:50]
    shot(page, 'logs-desktop')
    page.get_by_role('button', name='Load more').click()
    page.get_by_text('Showing 100 generations').wait_for()
    shown = [rows(page).nth(i).get_attribute('data-id') for i in range(100)]
    assert shown == ids[:100]

    choose(page, 'Date range', 'Today')
    page.wait_for_url(re.compile(r'range=today'))
    today = resolve_range(ZONE, 'today')
    expected = usage_requests(base, headers, today.since, today.until)
    page.get_by_text(re.compile(rf'^{expected} generations? in ')).wait_for()

    choose(page, 'Date range', 'Custom range')
    first = (datetime.now(UTC) - timedelta(days=25)).date()
    last = (datetime.now(UTC) - timedelta(days=10)).date()
    page.get_by_label('From', exact=True).fill(first.isoformat())
    page.get_by_label('To', exact=True).fill(last.isoformat())
    page.get_by_role('button', name='Apply').click()
    page.wait_for_url(re.compile(r'range=custom'))
    assert query_of(page)['from'] == [first.isoformat()] and query_of(page)['to'] == [last.isoformat()]
    page.get_by_text(re.compile(r'^20 generations in ')).wait_for()
    assert rows(page).count() == 20

    page.goto(f'{base}/logs?range=7d')
    choose(page, 'Status', 'Failed')
    page.wait_for_url(re.compile(r'status=failed'))
    rows(page).first.wait_for()
    assert page.locator('.lr-log-status .lr-badge').all_inner_texts() == ['failed'] * 26
    assert no_horizontal_overflow(page)


def test_keyboard_opens_a_row_and_the_back_link_keeps_the_view(site, desktop):
    base, _, ids = site
    page = desktop
    page.goto(f'{base}/logs?range=7d')
    rows(page).first.wait_for()
    rows(page).nth(2).focus()
    page.keyboard.press('Tab')  # the next row is the next stop
    assert page.evaluate('document.activeElement.dataset.id') == ids[3]
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(rf'/transactions/{ids[3]}\?back='))
    assert parse_qs(urlsplit(page.url).query)['back'] == ['/logs?range=7d']


def test_search_by_id_opens_the_generation_or_says_not_found(site, desktop):
    base, _, ids = site
    page = desktop
    page.goto(f'{base}/logs')
    box = page.get_by_label('Find a generation by id')
    box.fill('gen-not-in-this-account')
    box.press('Enter')
    page.get_by_text("No generation with id 'gen-not-in-this-account' in this account.").wait_for()
    box.fill(ids[140])  # older than the range shown: found all the same
    page.get_by_role('button', name='Open').click()
    page.wait_for_url(re.compile(rf'/transactions/{ids[140]}'))
    page.get_by_text('Routing trace').first.wait_for()


@pytest.mark.parametrize('query', ['range=30d', 'range=7d&model=mistral%2Fmistral-small'])
def test_export_shows_progress_and_saves_the_apis_usage_rows(site, desktop, query):
    base, headers, _ = site
    page = desktop
    page.goto(f'{base}/logs?{query}')
    rows(page).first.wait_for()
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role('button', name='Export CSV').click()
    progress = page.locator('#lr-export-progress')
    progress.get_by_text(re.compile(r'^Saved [\d,]+ rows$')).wait_for()
    lines = Path(info.value.path()).read_bytes().count(b'\r\n') - 1
    params = parse_qs(query)
    period = resolve_range(ZONE, params['range'][0])
    filters = {'model': params['model'][0]} if 'model' in params else {}
    assert lines == usage_requests(base, headers, period.since, period.until, **filters)
    assert progress.get_attribute('data-rows') == str(lines)
    assert progress.locator('progress').evaluate('bar => [bar.value, bar.max]') == [lines, lines]
    assert info.value.suggested_filename.startswith('generations-')
    shot(page, f'logs-export-{"filtered" if filters else "all"}')


def test_a_failed_export_says_so(site, desktop):
    base, _, _ = site
    page = desktop
    page.goto(f'{base}/logs')
    rows(page).first.wait_for()
    page.route('**/logs/export.csv*', lambda route: route.fulfill(status=500, body='no'))
    page.get_by_role('button', name='Export CSV').click()
    page.get_by_text('The export failed: the server answered 500. Try again.').wait_for()


def test_phone_shows_readable_cards(site, mobile):
    base, _, ids = site
    page = mobile
    page.goto(f'{base}/logs')
    rows(page).first.wait_for()
    card = rows(page).first
    assert card.locator('.lr-log-where').is_visible() and not card.locator('.lr-log-latency').is_visible()
    assert page.locator('.lr-log-head').is_hidden()
    box = card.bounding_box()
    assert box['width'] <= MOBILE['width'] and box['height'] >= 50  # three lines, not one squeezed row
    assert no_horizontal_overflow(page)
    page.get_by_role('button', name='Load more').click()
    page.get_by_text('Showing 100 generations').wait_for()
    assert no_horizontal_overflow(page)
    shot(page, 'logs-mobile')
    card.click()
    page.wait_for_url(re.compile(rf'/transactions/{ids[0]}'))
