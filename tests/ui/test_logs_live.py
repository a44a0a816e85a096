"""The live tail of /logs with NiceGUI's `user` fixture: generations recorded after the page opened (through the
services, in the same database) come on top at the top, wait behind an "N new" chip further down, are caught
up after a lost connection, are listed once (also by "Load more"), and the count equals the database's."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from components import logs_live, logs_table
from services import db
from services.models import Account, Generation
from services.usage.ranges import resolve_range
from tests.support import factories
from tests.support.live_pages import eventually

MODEL = 'openai/gpt-4o-mini'


def seed(count: int) -> Account:
    """`count` generations over the last hours (one every 5 minutes, the newest 2 minutes ago)."""
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = factories.account(session=session, timezone='Europe/Paris')
        factories.generations(
            account,
            [
                {'created_at': now - timedelta(minutes=2 + 5 * i), 'prompt_tokens': 10 + i, 'completion_tokens': 5}
                for i in range(count)
            ],
            session=session,
        )
        return account


def record(account: Account, count: int = 1, model: str = MODEL, **fields) -> list[str]:
    """`count` generations of `model` recorded now through ingestion, in one transaction; their ids."""
    offer = factories.offer_of(model)
    payload = {'model': model, 'provider': offer.provider, 'region': offer.region, 'prompt_tokens': 7}
    payloads = [payload | {'completion_tokens': 3} | fields] * count
    return [g.id for g in factories.generations(account, payloads)]


def stored_ids(account: Account) -> list[str]:
    """The view's generations (the default range, 30 days), newest first, as /logs orders them."""
    since = resolve_range(account.timezone, None).since
    with db.read_scope() as session:
        query = select(Generation.id).where(Generation.account_id == account.id, Generation.created_at >= since)
        return list(session.exec(query.order_by(Generation.created_at.desc(), Generation.id.desc())))


def stored_count(account: Account, since: datetime, until: datetime) -> int:
    with db.read_scope() as session:
        query = select(func.count()).where(
            Generation.account_id == account.id, Generation.created_at >= since, Generation.created_at < until
        )
        return session.exec(query).one()


def shown_ids(user: User) -> list[str]:
    """The ids of the rows on the page, top to bottom (in the order of the elements in the list)."""
    body = user.find(marker='log').elements.pop()
    contents = [child.content for child in body.default_slot.children if isinstance(child, ui.html)]
    return [i for content in contents for i in re.findall(r'data-id="([^"]+)"', content)]


def counted(account: Account, count: int) -> str:
    """The count line of the default view (30 days) holding `count` generations."""
    return f'{count:,} generations in {resolve_range(account.timezone, None).label}'


def count_label(user: User) -> str:
    return user.find(marker='log-count').elements.pop().text


def chip(user: User) -> tuple[bool, str]:
    """Whether the "N new" chip shows, and its text (found also while hidden, which `find` skips)."""
    (box,) = [e for e in user.client.elements.values() if 'log-new-chip-box' in e._markers]
    (button,) = box.descendants(include_self=False)
    return box.visible, button.text


def scrolled(user: User, at_top: bool) -> None:
    """What the browser's scroll listener says when the top of the list leaves the screen or comes back."""
    user.find(marker='log-card').trigger(logs_live.EVENT, {'detail': at_top})


async def until(check: Callable[[], bool], timeout: float = 6.0) -> None:
    """Wait for the live refresh (at most one a second) to bring the page where `check` holds."""
    assert await eventually(check, timeout), 'the page did not update in time'


async def test_new_rows_come_on_top_with_the_count_and_load_more_lists_each_once(user: User):
    account = seed(60)
    await user.open('/logs')
    period = resolve_range(account.timezone, None)
    assert shown_ids(user) == stored_ids(account)[:50]
    assert count_label(user) == counted(account, 60)

    new = record(account, 3)
    await until(lambda: len(shown_ids(user)) == 53)
    assert set(shown_ids(user)[:3]) == set(new)
    assert shown_ids(user) == stored_ids(account)[:53]
    await until(lambda: count_label(user) == counted(account, 63))
    assert stored_count(account, period.since, period.until) == 63
    export = user.find(marker='export-csv').elements.pop()
    assert any(getattr(child, 'text', '') == '63 rows, streamed from the server' for child in export.descendants())
    assert user.find(marker='shown').elements.pop().text == 'Showing 53 generations'
    assert chip(user)[0] is False

    # a transaction that commits after a newer one, with a time a few seconds earlier, is not missed
    late = record(account, created_at=datetime.now(UTC) - timedelta(seconds=4))
    await until(lambda: late[0] in shown_ids(user))
    await until(lambda: count_label(user) == counted(account, 64))

    user.find(marker='load-more').click()
    await user.should_see('Showing 64 generations (the end of the log)')
    ids = shown_ids(user)
    assert len(ids) == len(set(ids)) == 64
    assert set(ids) == set(stored_ids(account))


async def test_scrolled_down_the_list_stays_and_a_chip_says_how_many_wait(user: User):
    account = seed(60)
    await user.open('/logs')
    before = shown_ids(user)
    scrolled(user, at_top=False)

    first = record(account)
    await until(lambda: chip(user) == (True, '1 new generation'))
    assert shown_ids(user) == before  # nothing moved under the operator
    assert count_label(user) == counted(account, 60)

    more = record(account, 2)
    await until(lambda: chip(user) == (True, '3 new generations'))
    assert shown_ids(user) == before

    user.find(marker='log-new-chip').click()
    assert shown_ids(user) == stored_ids(account)[:53]
    assert set(shown_ids(user)[:3]) == {*first, *more}
    assert count_label(user) == counted(account, 63)
    assert chip(user)[0] is False

    # back at the top by scrolling: what arrived meanwhile comes on top as the list's top shows again
    scrolled(user, at_top=False)
    later = record(account, 2)
    await until(lambda: chip(user) == (True, '2 new generations'))
    scrolled(user, at_top=True)
    assert set(shown_ids(user)[:2]) == set(later)
    assert shown_ids(user) == stored_ids(account)[:55]
    assert count_label(user) == counted(account, 65)
    assert chip(user)[0] is False


async def test_a_page_that_lost_its_connection_catches_up_once_back(user: User):
    account = seed(10)
    await user.open('/logs')
    user.javascript_rules[re.compile(r'.*lrLogAtTop.*')] = lambda _: True  # the browser is at the top
    client = user.client
    tab = client.tab_id
    client.tab_id = None  # the browser went away: the page is skipped, and marked stale
    missed = record(account, 4)
    await asyncio.sleep(1.5)
    assert len(shown_ids(user)) == 10

    client.tab_id = tab  # back: the page catches up on what it missed
    for handler in client.connect_handlers:
        client.safe_invoke(handler)
    await until(lambda: len(shown_ids(user)) == 14)
    assert set(shown_ids(user)[:4]) == set(missed)
    assert shown_ids(user) == stored_ids(account)
    await until(lambda: count_label(user) == counted(account, 14))

    again = record(account)  # and it goes on as before, listing nothing twice
    await until(lambda: len(shown_ids(user)) == 15)
    assert shown_ids(user) == stored_ids(account)
    assert shown_ids(user)[0] == again[0]
    assert user.find(marker='shown').elements.pop().text == 'Showing 15 generations (the end of the log)'


async def test_more_new_rows_than_a_read_takes_start_the_list_again_from_the_newest(user: User, monkeypatch):
    """Heavy traffic: more rows than a tail lists without a gap. At the top the list starts again from the
    newest page, as a reload would; the count stays whole."""
    monkeypatch.setattr(logs_live, 'BOUND', 5)
    account = seed(3)
    await user.open('/logs')
    record(account, 6)
    await until(lambda: shown_ids(user) == stored_ids(account))
    await until(lambda: count_label(user) == counted(account, 9))
    assert chip(user)[0] is False


async def test_further_down_an_overflow_waits_behind_the_chip_and_shows_the_newest_when_clicked(
    user: User, monkeypatch
):
    monkeypatch.setattr(logs_live, 'BOUND', 5)
    account = seed(3)
    await user.open('/logs')
    scrolled(user, at_top=False)
    before = shown_ids(user)
    record(account, 6)
    await until(lambda: chip(user) == (True, 'More than 5 new generations: show the newest'))
    assert shown_ids(user) == before  # no partial list with a gap in it, and nothing moved
    user.find(marker='log-new-chip').click()
    await until(lambda: shown_ids(user) == stored_ids(account))
    await until(lambda: count_label(user) == counted(account, 9))
    assert chip(user)[0] is False


async def test_the_oldest_pages_give_way_to_load_more_and_it_goes_on_without_gaps(user: User, monkeypatch):
    monkeypatch.setattr(logs_table, 'MAX_ROWS', 55)
    account = seed(60)
    await user.open('/logs')
    user.find(marker='load-more').click()
    await user.should_see('Showing 60 generations (the end of the log)')
    new = record(account, 10)
    await until(lambda: new[0] in shown_ids(user))
    assert len(shown_ids(user)) == 60  # 70, less the last page (10 rows)
    assert shown_ids(user) == stored_ids(account)[:60]
    assert user.find(marker='shown').elements.pop().text == 'Showing 60 generations'
    user.find(marker='load-more').click()
    await user.should_see('Showing 70 generations (the end of the log)')
    assert shown_ids(user) == stored_ids(account)


async def test_a_filtered_view_takes_only_its_rows_and_a_past_range_does_not_tail(user: User):
    account = seed(5)
    await user.open(f'/logs?model={MODEL}')
    base = len(shown_ids(user))
    other = record(account, 2, model='mistral/mistral-small')
    mine = record(account, 1)
    await until(lambda: len(shown_ids(user)) == base + 1)
    assert shown_ids(user)[0] == mine[0]
    assert not set(other) & set(shown_ids(user))

    today = datetime.now(UTC).date()
    past = date(today.year, today.month, 1) - timedelta(days=20)
    await user.open(f'/logs?range=custom&from={past.isoformat()}&to={(past + timedelta(days=2)).isoformat()}')
    assert shown_ids(user) == []
    record(account, 2)
    await asyncio.sleep(1.5)
    assert shown_ids(user) == []
    assert chip(user)[0] is False
