"""/usage with NiceGUI's simulated user: the figures shown are the database's, every control puts its choice in
the URL, and a link it cannot use says what it ignored."""

import asyncio
from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User

from services import db
from services.account.accounts import current_account
from services.money import format_money
from services.usage.explorer import explore
from services.usage.explorer_csv import table_csv
from services.usage.query import usage
from services.usage.ranges import resolve_range
from tests.support import factories

MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']


def _seed(zone: str = 'Europe/Berlin') -> int:
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = factories.account(session=session, timezone=zone)
        key = factories.api_key(account, session=session, name='ci-bot').key.id
        for i in range(18):
            factories.generation(
                account,
                session=session,
                model=MODELS[i % 3],
                prompt_tokens=500 + 100 * i,
                completion_tokens=50 * i,
                created_at=now - timedelta(hours=7 * i + 1),
                api_key_id=key if i % 2 else None,
                status='failed' if i % 5 == 0 else 'completed',
            )
    return key


async def _opened(user: User, url: str | None = None, *, containing: str | None = None) -> None:
    """Wait until the page navigated to `url` (or a URL containing `containing`) and the new page is built."""

    def there() -> bool:
        last = user.back_history[-1] if user.back_history else ''
        return last == url if url is not None else containing in last

    for _ in range(100):
        if there():
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.05)
    assert there(), user.back_history[-1]


def _texts(element: ui.element) -> list[str]:
    return [e.text for e in element.descendants() if isinstance(e, ui.label)]


def _rows(user: User) -> list[list[str]]:
    return [_texts(row) for row in sorted(user.find(marker='usage-row').elements, key=lambda e: e.id)]


async def test_the_table_shows_the_databases_totals(user: User):
    _seed()
    await user.open('/usage?range=7d&metric=requests&group=model')
    await user.should_see('Requests per day')
    with db.read_scope() as session:
        account = current_account(session)
        period = resolve_range(account.timezone, '7d')
        expected = usage(session, account.id, since=period.since, until=period.until, group_by=('model',))
    rows = _rows(user)
    shown = {row[0]: row[2] for row in rows}  # name, share on a phone, requests
    assert shown == {r.model: f'{r.requests:,}' for r in expected}
    assert [row[0] for row in rows] == [r.model for r in sorted(expected, key=lambda r: (-r.requests, r.model))]
    total = sum(r.requests for r in expected)
    assert _texts(user.find(marker='usage-total').elements.pop()) == [f'{total:,}']

    await user.open('/usage?range=7d&metric=cost&group=key')
    await user.should_see('ci-bot')
    await user.should_see('no key')
    cost = sum(r.cost_micros for r in expected)
    assert _texts(user.find(marker='usage-total').elements.pop()) == [format_money(cost, 'USD', precise=cost < 10_000)]


async def test_every_control_puts_its_choice_in_the_url(user: User):
    key = _seed()
    await user.open('/usage')
    await user.should_see('Tokens per day')
    user.find(marker='usage-metric').elements.pop().value = 'cost'
    await user.should_see('Cost (USD) per day')
    await _opened(user, '/usage?metric=cost')
    user.find(marker='usage-range').elements.pop().value = '7d'
    await user.should_see('Cost (USD) per day')
    await _opened(user, '/usage?range=7d&metric=cost')
    user.find(marker='usage-group').elements.pop().value = 'key'
    await user.should_see('By API key')
    await _opened(user, '/usage?range=7d&metric=cost&group=key')

    rows = user.find(marker='usage-row').elements
    ci_bot = next(row for row in rows if 'ci-bot' in _texts(row))
    user.find(marker='usage-row').elements = {ci_bot}
    user.find(marker='usage-row').click()  # a row filters by its group
    await user.should_see('API key: ci-bot')
    await _opened(user, f'/usage?range=7d&metric=cost&group=key&key={key}')

    user.find(marker='usage-filter-status').elements.pop().value = 'failed'
    await user.should_see('status: Failed')
    await _opened(user, f'/usage?range=7d&metric=cost&group=key&key={key}&status=failed')
    user.find(marker='usage-chip-key').trigger('remove')
    await user.should_not_see('API key: ci-bot')
    await _opened(user, '/usage?range=7d&metric=cost&group=key&status=failed')

    user.find(marker='usage-chart').trigger('plotly_click', {'curve': 0})  # the first bar: the largest group
    await _opened(user, containing='&key=')

    user.find(marker='usage-range').elements.pop().value = 'custom'
    await _opened(user, containing='?range=custom&from=')


async def test_a_legend_click_filters_by_its_group(user: User):
    _seed()
    await user.open('/usage?range=30d&group=model')
    await user.should_see('Tokens per day')
    user.find(marker='usage-chart').trigger('plotly_legendclick', {'curve': 1})
    await _opened(user, containing='/usage?range=30d&model=')
    await user.should_see('Showing only')


async def test_a_bad_custom_range_is_said_on_the_form_and_changes_nothing(user: User):
    _seed()
    await user.open('/usage?range=7d')
    await user.should_see('Tokens per day')
    user.find(marker='usage-from').elements.pop().value = '2026-03-10'
    user.find(marker='usage-to').elements.pop().value = '2026-03-01'
    before = list(user.back_history)
    user.find(marker='usage-apply').click()
    await user.should_see('The end of the range is before its start')
    assert user.back_history == before
    user.find(marker='usage-from').elements.pop().value = '2026-02-30'
    user.find(marker='usage-apply').click()
    await user.should_see('is not a date; use YYYY-MM-DD')
    assert user.back_history == before


async def test_a_link_it_cannot_use_says_what_it_ignored(user: User):
    _seed()
    await user.open('/usage?metric=watts&group=colour&key=abc&range=custom&from=2026-02-31&to=2026-03-02')
    await user.should_see('Some of this link could not be used')
    await user.should_see('Unknown metric “watts”: showing tokens.')
    await user.should_see('Unknown group “colour”: showing model.')
    await user.should_see('“abc” is not a key id; the key filter was ignored.')
    await user.should_see('“2026-02-31” is not a date; use YYYY-MM-DD: showing last 30 days.')
    await user.should_see('Tokens per day')


async def test_export_table_csv_is_what_the_table_shows(user: User):
    _seed()
    await user.open('/usage?range=7d&metric=cost&group=status')
    await user.should_see('By status')
    user.find(marker='usage-export-table').click()
    response = await user.download.next(timeout=10)
    with db.read_scope() as session:
        account = current_account(session)
        expected = table_csv(explore(session, account, resolve_range(account.timezone, '7d'), 'cost', 'status', {}))
    assert response.content.decode() == expected
    assert expected.startswith('status,requests,tokens,cost (USD)')
    user.find(marker='usage-export-series').click()
    series = (await user.download.next(timeout=10)).content.decode()
    assert series.splitlines()[0] == 'bucket_start,status,cost (USD)'


async def test_a_half_hour_zone_says_where_its_days_are_cut(user: User):
    _seed('Asia/Kolkata')
    await user.open('/usage?range=7d')
    await user.should_see('this time zone is UTC+05:30: each day here runs from 00:30 to 00:30 local time')
