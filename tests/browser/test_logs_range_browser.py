"""Real Chromium on /logs with a custom range across a month end and the autumn daylight-saving change of the
account's zone (Paris leaves summer time on 25 October 2026), desktop 1280x800 and phone 390x844: the rows
listed are exactly the generations of those local days, and their number is the API's usage for the range."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from services import db
from services.account.accounts import create_account
from services.usage.ingest import record_generation
from services.usage.ranges import resolve_range
from tests.browser.conftest import no_horizontal_overflow, serve
from tests.conftest import fresh_database
from tests.support import factories

ZONE = 'Europe/Paris'
FIRST, LAST = date(2026, 10, 24), date(2026, 11, 1)  # across the change (25 Oct) and the month end
QUERY = f'range=custom&from={FIRST.isoformat()}&to={LAST.isoformat()}'


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """A generation every 3 hours (UTC) from 20 October to 5 November 2026; yields (base URL, read headers,
    the ids of the generations whose local day is in the range, newest first)."""
    start = datetime(2026, 10, 20, tzinfo=UTC)
    moments = [start + timedelta(hours=3 * i) for i in range(16 * 8)]
    with fresh_database(tmp_path_factory.mktemp('logs-range')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Acme', timezone=ZONE)
            key = factories.api_key(account, session=session, name='prod', scopes=('read',))
            inside = []
            for i, moment in enumerate(moments):
                payload = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 200 + i, 'completion_tokens': 30}
                generation = record_generation(session, account, payload | {'created_at': moment})[0]
                if FIRST <= moment.astimezone(ZoneInfo(ZONE)).date() <= LAST:
                    inside.append((moment, generation.id))
        server = serve(url, '--no-demo')
        yield next(server), factories.bearer(key), [g for _, g in sorted(inside, reverse=True)]
        server.close()


def _api_requests(base: str, headers: dict) -> int:
    period = resolve_range(ZONE, 'custom', FIRST.isoformat(), LAST.isoformat())
    params = {'from': period.since.isoformat(), 'to': period.until.isoformat(), 'group_by': 'model'}
    answer = httpx.get(f'{base}/api/v1/usage', params=params, headers=headers).json()
    series = httpx.get(f'{base}/api/v1/usage/series?{QUERY}&metric=requests', headers=headers).json()
    assert series['total'] == sum(item['requests'] for item in answer['items'])
    return series['total']


def _all_rows(page) -> list[str]:
    rows = page.locator('a.lr-log-row')
    rows.first.wait_for()
    while page.get_by_role('button', name='Load more').is_visible():
        before = rows.count()
        page.get_by_role('button', name='Load more').click()
        page.wait_for_function(f'document.querySelectorAll("a.lr-log-row").length > {before}')
    return [rows.nth(i).get_attribute('data-id') for i in range(rows.count())]


@pytest.mark.parametrize('size', ['desktop', 'mobile'])
def test_a_custom_range_across_the_change_and_the_month_end_lists_exactly_its_days(site, size, request):
    base, headers, inside = site
    page = request.getfixturevalue(size)
    page.goto(f'{base}/logs?{QUERY}')
    expected = _api_requests(base, headers)
    assert expected == len(inside) == 8 * 9  # nine local days of eight 3-hour marks (the 25-hour one too)
    page.get_by_text(re.compile(rf'^{expected} generations in 24 Oct – 1 Nov 2026')).wait_for()
    if size == 'desktop':
        assert page.get_by_label('From', exact=True).input_value() == FIRST.isoformat()
    assert _all_rows(page) == inside
    assert no_horizontal_overflow(page)
