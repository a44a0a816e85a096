"""/usage in real Chromium, desktop (1280x800) and phone (390x844): range presets, custom ranges across a month's
end and across a daylight-saving change (Europe/Berlin, late October), group-by, click-to-filter on a bar and on
a table row, and CSV exports whose figures equal GET /api/v1/usage for the same range (with a real read key)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from services import db
from services.timeutil import local
from services.usage.ranges import DateRange
from tests.browser.conftest import DESKTOP, MOBILE, no_horizontal_overflow, serve
from tests.conftest import fresh_database
from tests.support import factories

ZONE = 'Europe/Berlin'
MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']
VIEWPORTS = pytest.mark.parametrize('viewport', [DESKTOP, MOBILE], ids=['desktop', 'mobile'])


def _today() -> date:
    return local(datetime.now(UTC), ZONE).date()


def _dst_day() -> date:
    """The last day the clocks went back in Berlin (the last Sunday of October), before today."""
    for year in (_today().year, _today().year - 1):
        day = date(year, 10, 31)
        day -= timedelta(days=(day.weekday() - 6) % 7)
        if day < _today():
            return day
    raise AssertionError('unreachable')


def _month_end() -> date:
    return _today().replace(day=1) - timedelta(days=1)


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The app on a database with one Berlin account, its usage around the last DST change, around the last
    month's end and in the last week; yields (base URL, read-key headers)."""
    with fresh_database(tmp_path_factory.mktemp('usage')) as url:
        db.init_db(url)
        now = datetime.now(UTC)
        with db.session_scope() as session:
            account = factories.account(session=session, name='Usage Co', timezone=ZONE)
            reader = factories.api_key(account, session=session, name='reader', scopes=['read'])
            keys = [None, reader.key.id, factories.api_key(account, session=session, name='batch').key.id]
            dst = datetime(*_dst_day().timetuple()[:3], tzinfo=UTC)
            moments = [dst + timedelta(hours=h, minutes=30) for h in (-3, -2, -1, 0, 1, 2, 11, 20, 22, 23, 30)]
            month_end = datetime(*_month_end().timetuple()[:3], tzinfo=UTC)
            moments += [month_end + timedelta(hours=h, minutes=10) for h in range(-60, 40, 5)]
            moments += [now - timedelta(hours=h, minutes=20) for h in range(1, 24 * 7, 4)]
            for i, moment in enumerate(m for m in moments if m < now):
                factories.generation(
                    account,
                    session=session,
                    model=MODELS[i % 3],
                    prompt_tokens=300 + 37 * i,
                    completion_tokens=20 + 11 * i,
                    created_at=moment,
                    api_key_id=keys[i % 3],
                    status='failed' if i % 7 == 0 else 'completed',
                )
        server = serve(url, '--no-demo')
        yield next(server), factories.bearer(reader), tmp_path_factory.mktemp('usage-screens')
        server.close()


def _page(browser, viewport):
    phone = viewport is MOBILE
    context = browser.new_context(
        viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=2, accept_downloads=True
    )
    return context, context.new_page()


def _query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


CHART_DRAWN = "document.querySelector('.lr-usage-chart')?.data?.length > 0"


def _open(page, url: str) -> None:
    page.goto(url)
    page.locator('.lr-usage-table').wait_for()
    page.wait_for_function(CHART_DRAWN)


def _choose(page, select_class: str, option: str) -> None:
    page.locator(f'.{select_class}').click()
    page.get_by_role('option', name=option, exact=True).click()


def _api(base: str, headers: dict, period: DateRange, group_by: str) -> dict:
    params = {'group_by': group_by, 'from': period.since.isoformat(), 'to': period.until.isoformat()}
    answer = httpx.get(f'{base}/api/v1/usage', params=params, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    return {item['group']: item for item in answer.json()['items']}


def _download(page, button: str) -> list[list[str]]:
    with page.expect_download() as info:
        page.get_by_role('button', name=button).click()
    return list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding='utf-8'))))


def _custom(page, first: date, last: date) -> None:
    page.locator('.lr-usage-from input').fill(first.isoformat())
    page.locator('.lr-usage-to input').fill(last.isoformat())
    page.get_by_role('button', name='Apply').click()
    page.wait_for_url(f'**/usage?range=custom&from={first}&to={last}*')
    page.locator('.lr-usage-table').wait_for()
    page.wait_for_function(CHART_DRAWN)


def _shot(page, folder: Path, name: str) -> None:
    page.wait_for_timeout(300)
    page.screenshot(path=str(folder / f'{name}.png'), full_page=True)


@VIEWPORTS
def test_presets_and_group_by(site, browser, viewport):
    base, _, shots = site
    context, page = _page(browser, viewport)
    _open(page, f'{base}/usage')
    assert 'per day' in page.locator('.lr-card-title').nth(0).inner_text()
    _choose(page, 'lr-usage-range', 'Last 7 days')
    page.wait_for_url('**/usage?range=7d')
    page.locator('.lr-usage-chart .main-svg').first.wait_for()
    _choose(page, 'lr-usage-range', 'Today')
    page.wait_for_url('**/usage?range=today')
    page.get_by_text('per hour', exact=False).first.wait_for()
    _choose(page, 'lr-usage-range', 'Last month')
    page.wait_for_url('**/usage?range=last_month')
    _choose(page, 'lr-usage-group', 'Provider')
    page.wait_for_url('**/usage?range=last_month&group=provider')
    page.get_by_text('By provider').wait_for()
    assert page.locator('.lr-usage-table th').first.inner_text() == 'Provider'
    _choose(page, 'lr-usage-metric', 'Cost')
    page.wait_for_url('**/usage?range=last_month&metric=cost&group=provider')
    page.get_by_text('Cost (USD) per day').wait_for()
    assert no_horizontal_overflow(page)
    _shot(page, shots, f'usage-presets-{"mobile" if viewport is MOBILE else "desktop"}')
    context.close()


@VIEWPORTS
def test_a_custom_range_across_a_month_end_exports_the_apis_figures(site, browser, viewport):
    base, headers, shots = site
    context, page = _page(browser, viewport)
    first, last = _month_end() - timedelta(days=2), min(_month_end() + timedelta(days=1), _today())
    _open(page, f'{base}/usage?metric=cost')
    _custom(page, first, last)
    assert _query(page.url) == {'range': 'custom', 'from': str(first), 'to': str(last), 'metric': 'cost'}
    period = DateRange('custom', first, last, ZONE)
    api = _api(base, headers, period, 'model')
    table = _download(page, 'Export table CSV')
    assert table[0][:5] == ['model', 'requests', 'tokens', 'cost (USD)', 'energy (Wh)']
    assert {row[0] for row in table[1:]} == set(api)
    for row in table[1:]:
        item = api[row[0]]
        assert (int(row[1]), int(row[2]), row[3]) == (item['requests'], item['total_tokens'], item['cost'])
        assert float(row[4]) == pytest.approx(item['energy_wh']) and float(row[5]) == pytest.approx(item['carbon_g'])
    series = _download(page, 'Export series CSV')
    assert series[0] == ['bucket_start', 'model', 'cost (USD)']
    per_model: dict[str, Decimal] = defaultdict(Decimal)
    for _start, model, cost in series[1:]:
        per_model[model] += Decimal(cost)
    assert {m: str(v) for m, v in per_model.items()} == {m: item['cost'] for m, item in api.items()}
    days = sorted({row[0] for row in series[1:]})
    assert days[0].startswith(str(first)) and days[-1].startswith(str(last)) and len(days) == (last - first).days + 1
    # the chart's bars add up to the same figures
    traces = page.evaluate("document.querySelector('.lr-usage-chart').data.map(t => [t.name, t.y])")
    assert {name: str(sum(Decimal(y) for y in ys)) for name, ys in traces} == {m: i['cost'] for m, i in api.items()}
    assert no_horizontal_overflow(page)
    _shot(page, shots, f'usage-month-end-{"mobile" if viewport is MOBILE else "desktop"}')
    context.close()


@VIEWPORTS
def test_a_custom_range_across_the_dst_change_counts_local_days(site, browser, viewport):
    base, headers, shots = site
    context, page = _page(browser, viewport)
    day = _dst_day()
    _open(page, f'{base}/usage?metric=requests&group=status')
    _custom(page, day - timedelta(days=1), day + timedelta(days=1))
    series = _download(page, 'Export series CSV')
    per_day: dict[str, int] = defaultdict(int)
    for start, _, requests in series[1:]:
        per_day[start[:10]] += int(requests)
    api = _api(base, headers, DateRange('custom', day - timedelta(days=1), day + timedelta(days=1), ZONE), 'day')
    assert per_day == {d: item['requests'] for d, item in api.items()} | {d: 0 for d in per_day if d not in api}
    assert {row[0][10:] for row in series[1:]} == {'T00:00:00+02:00', 'T00:00:00+01:00'}  # CEST, then CET

    _custom(page, day, day)  # one day: per hour, 25 of them
    page.get_by_text('per hour', exact=False).first.wait_for()
    hours = _download(page, 'Export series CSV')
    starts = sorted({row[0] for row in hours[1:]}, key=lambda s: datetime.fromisoformat(s))
    assert len(starts) == 25
    assert f'{day}T02:00:00+02:00' in starts and f'{day}T02:00:00+01:00' in starts
    page.wait_for_function("document.querySelector('.lr-usage-chart')?.data?.[0]?.x?.length === 25")
    ticks = page.evaluate("document.querySelector('.lr-usage-chart').data[0].x")
    assert len(set(ticks)) == 25  # 02:00 twice, told apart
    assert no_horizontal_overflow(page)
    _shot(page, shots, f'usage-dst-hours-{"mobile" if viewport is MOBILE else "desktop"}')
    context.close()


@VIEWPORTS
def test_a_bar_and_a_table_row_filter_by_their_group(site, browser, viewport):
    base, _, shots = site
    context, page = _page(browser, viewport)
    _open(page, f'{base}/usage?range=7d&metric=requests')
    names = page.evaluate("document.querySelector('.lr-usage-chart').data.map(t => t.name)")
    bars = page.locator('.lr-usage-chart .trace.bars')
    points = bars.first.locator('.point')
    page.locator('.lr-usage-chart').scroll_into_view_if_needed()
    heights = [points.nth(i).bounding_box() for i in range(points.count())]
    tallest = max(range(len(heights)), key=lambda i: (heights[i] or {'height': 0})['height'])
    box = points.nth(tallest).bounding_box()
    page.mouse.click(box['x'] + box['width'] / 2, box['y'] + box['height'] / 2)
    page.wait_for_url('**/usage?range=7d&metric=requests&model=*')
    assert _query(page.url)['model'] == names[0]
    page.get_by_text(f'model: {names[0]}').wait_for()

    page.get_by_text('Showing only').wait_for()
    page.locator('.lr-filter-chip .q-chip__icon--remove').click()
    page.wait_for_url('**/usage?range=7d&metric=requests')
    page.locator('.lr-usage-table').wait_for()
    page.wait_for_function(CHART_DRAWN)
    page.locator('.lr-usage-chart .legend .traces').nth(1).locator('.legendtoggle').click()  # a legend entry
    page.wait_for_url('**/usage?range=7d&metric=requests&model=*')
    assert _query(page.url)['model'] == names[1]
    page.go_back()
    page.wait_for_url('**/usage?range=7d&metric=requests')
    page.locator('.lr-usage-table').wait_for()
    _choose(page, 'lr-usage-group', 'API key')
    page.wait_for_url('**/usage?range=7d&metric=requests&group=key')
    row = page.locator('.lr-usage-table tbody tr').filter(has_text='batch')
    row.click()
    page.wait_for_url('**/usage?range=7d&metric=requests&group=key&key=*')
    page.get_by_text('API key: batch').wait_for()
    page.go_back()
    page.wait_for_url('**/usage?range=7d&metric=requests&group=key')
    page.locator('.lr-usage-table tbody tr').first.wait_for()
    label = page.locator('.lr-usage-table tbody tr').nth(1).locator('td').first.inner_text().split('\n')[0]
    page.locator('.lr-usage-table tbody tr').nth(1).focus()
    page.keyboard.press('Enter')
    page.wait_for_url('**/usage?range=7d&metric=requests&group=key&key=*')
    page.get_by_text(f'API key: {label}').wait_for()
    assert no_horizontal_overflow(page)
    _shot(page, shots, f'usage-filtered-{"mobile" if viewport is MOBILE else "desktop"}')
    context.close()


def test_a_bad_custom_range_is_said_on_the_form(site, browser):
    base, _, _ = site
    context, page = _page(browser, DESKTOP)
    _open(page, f'{base}/usage?range=7d')
    page.locator('.lr-usage-from input').fill('2026-03-10')
    page.locator('.lr-usage-to input').fill('2026-03-01')
    page.get_by_role('button', name='Apply').click()
    page.get_by_text('The end of the range is before its start').wait_for()
    assert page.url.endswith('/usage?range=7d')
    context.close()
