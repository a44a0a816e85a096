"""/logs with NiceGUI's `user` fixture: the rows equal the database, "Load more" appends the next page with no
duplicate and no gap, the filters and the range select what they say, and the search opens, or says why not."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from nicegui.testing import User
from sqlmodel import select

from services import db
from services.models import Account, Generation
from services.money import format_money
from services.usage.retention import prune, set_retention
from tests.support import factories

MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']
STATUSES = ['completed', 'completed', 'failed', 'completed', 'cancelled']


def seed(count: int = 120, timezone: str = 'Europe/Paris') -> Account:
    """`count` generations over the last two days (several models, statuses and two keys), plus one 40 days ago."""
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = factories.account(session=session, timezone=timezone)
        keys = [factories.api_key(account, session=session, name=name).key.id for name in ('prod', 'staging')]
        payloads = [
            {
                'offer': factories.offer_of(MODELS[i % 3]),
                'prompt_tokens': 100 + i,
                'completion_tokens': 10 + i,
                'status': STATUSES[i % 5],
                'latency_ms': 800 + i,
                'created_at': now - timedelta(minutes=23 * i + 1),
                'api_key_id': keys[i % 2],
            }
            | ({'ttft_ms': 200 + i} if i % 4 == 0 else {})
            for i in range(count)
        ]
        for payload in payloads:
            factories.generation(account, session=session, **payload)
        factories.generation(account, session=session, created_at=now - timedelta(days=40))
        return account


def stored_ids(account_id: int, since: datetime | None = None, **where) -> list[str]:
    with db.read_scope() as session:
        query = select(Generation).where(Generation.account_id == account_id)
        for column, value in where.items():
            query = query.where(getattr(Generation, column) == value)
        if since is not None:
            query = query.where(Generation.created_at >= since)
        rows = session.exec(query.order_by(Generation.created_at.desc(), Generation.id.desc()))
        return [g.id for g in rows]


def shown_ids(user: User) -> list[str]:
    """The ids of the rows on the page, in order."""
    pages = sorted(user.find(marker='log-page').elements, key=lambda e: e.id)
    return [i for page in pages for i in re.findall(r'data-id="([^"]+)"', page.content)]


def since_30_days(account: Account) -> datetime:
    from services.usage.ranges import resolve_range

    return resolve_range(account.timezone, '30d').since


async def test_rows_equal_the_database_and_load_more_appends_without_gaps(user: User):
    account = seed()
    await user.open('/logs')
    expected = stored_ids(account.id, since_30_days(account))
    assert len(expected) == 120  # the one from 40 days ago is outside the default range
    await user.should_see('120 generations in')
    assert shown_ids(user) == expected[:50]
    user.find(marker='load-more').click()
    await user.should_see('Showing 100 generations')
    assert shown_ids(user) == expected[:100]
    user.find(marker='load-more').click()
    await user.should_see('Showing 120 generations (the end of the log)')
    shown = shown_ids(user)
    assert shown == expected and len(set(shown)) == 120
    await user.should_not_see(marker='load-more')


async def test_a_row_shows_its_columns_and_links_back_to_this_view(user: User):
    account = seed(5)
    await user.open('/logs?range=7d&status=failed')
    with db.read_scope() as session:
        failed = session.exec(
            select(Generation).where(Generation.account_id == account.id, Generation.status == 'failed')
        ).one()
    html = user.find(marker='log-page').elements.pop().content
    back = quote('/logs?range=7d&status=failed', safe='')
    assert f'href="/transactions/{failed.id}?back={back.replace("&", "&amp;")}"' in html
    assert 'lr-badge-failed' in html and f'{failed.total_tokens:,}' in html
    assert format_money(failed.cost_micros, 'USD', precise=True) in html
    assert f'{failed.latency_ms:,} ms' in html and 'prod' in html
    assert '1 generation in' in user.find(marker='log-count').elements.pop().text


async def test_filters_select_the_same_rows_as_the_database(user: User):
    account = seed(60)
    since = since_30_days(account)
    for query, where in (
        ('model=mistral%2Fmistral-small', {'model': 'mistral/mistral-small'}),
        ('status=cancelled', {'status': 'cancelled'}),
        ('status=completed&model=openai%2Fgpt-4o', {'status': 'completed', 'model': 'openai/gpt-4o'}),
    ):
        await user.open(f'/logs?{query}')
        expected = stored_ids(account.id, since, **where)
        assert expected and shown_ids(user) == expected
        await user.should_see(f'{len(expected)} generation')
    with db.read_scope() as session:
        key_id = session.exec(
            select(Generation.api_key_id).where(Generation.account_id == account.id, Generation.api_key_id != None)  # noqa: E711
        ).first()
    await user.open(f'/logs?key={key_id}')
    assert shown_ids(user) == stored_ids(account.id, since, api_key_id=key_id)


async def test_a_filter_select_opens_the_filtered_url(user: User):
    seed(12)
    await user.open('/logs?range=7d')
    select_ = user.find(marker='filter-status').elements.pop()
    select_.value = 'failed'
    await user.should_see('Clear filters')
    assert user.back_history[-1] == '/logs?range=7d&status=failed'


async def test_range_presets_and_a_wrong_custom_range(user: User):
    account = seed(30)
    await user.open('/logs?range=today')
    today = stored_ids(account.id, since_today(account))
    assert shown_ids(user) == today[:50]
    await user.open('/logs?range=custom&from=2026-05-10&to=2026-05-01')
    await user.should_see('The end of the range is before its start: showing last 30 days')
    assert shown_ids(user) == stored_ids(account.id, since_30_days(account))
    await user.open('/logs?range=90d')
    assert len(shown_ids(user)) == 31  # with the one from 40 days ago
    user.find(marker='range').elements.pop().value = 'custom'  # shows the dates, opens nothing yet
    user.find(marker='range-from').elements.pop().value = '2026-05-10'
    user.find(marker='range-to').elements.pop().value = '2026-05-01'
    user.find(marker='range-apply').click()
    assert user.find(marker='range-to').elements.pop().error == 'the end of the range is before its start'


def since_today(account: Account) -> datetime:
    from services.usage.ranges import resolve_range

    return resolve_range(account.timezone, 'today').since


async def test_search_opens_a_generation_or_says_why_not(user: User):
    account = seed(3)
    wanted = stored_ids(account.id)[1]
    await user.open('/logs')
    user.find(marker='search').type('  ' + wanted + ' ')
    user.find(marker='search-open').click()
    await user.should_see('Routing trace')
    await user.should_see(wanted)

    await user.open('/logs')
    user.find(marker='search').type('gen-nothing-like-this')
    user.find(marker='search-open').click()
    await user.should_see("No generation with id 'gen-nothing-like-this' in this account.")


async def test_search_says_a_pruned_generation_was_deleted_under_retention(user: User):
    account = seed(2)
    old = factories.generation(account, created_at=datetime.now(UTC) - timedelta(days=20))
    with db.session_scope() as session:
        set_retention(session, session.get(Account, account.id), 7)
    with db.session_scope() as session:
        assert prune(session, session.get(Account, account.id)) == 2  # this one, and the one from 40 days ago
    await user.open('/logs')
    await user.should_see('were deleted under the data-retention setting')
    user.find(marker='search').type(old.id)
    user.find(marker='search-open').click()
    await user.should_see(f"Generation '{old.id}' was deleted under this account's data-retention setting")
    await user.should_see('still count in every total')
