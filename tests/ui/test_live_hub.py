"""The live hub's rules (components/live.py): coalescing per account, one shared read per tick, pages whose
browser is away are skipped and catch up when it is back. The pages here are stand-ins that record what the
hub asks of them; the dashboard itself is tested in test_dashboard_live.py."""

from __future__ import annotations

import asyncio

import pytest

from components.live import INTERVAL, Hub, Tick, Watch


class Page:
    """What the hub needs of a NiceGUI client: connection state and lifecycle handlers."""

    def __init__(self) -> None:
        self.has_socket_connection = True
        self.is_deleted = False
        self.connect_handlers: list = []
        self.delete_handlers: list = []

    def on_connect(self, handler) -> None:
        self.connect_handlers.append(handler)

    def on_delete(self, handler) -> None:
        self.delete_handlers.append(handler)


@pytest.fixture
async def hub():
    hub = Hub()
    hub.start()
    yield hub
    hub.stop()


def _watch(hub: Hub, account_id: int, topics, refreshed: list, reads: list | None = None) -> Watch:
    async def refresh(tick: Tick) -> None:
        if reads is not None:
            refreshed.append(await tick.shared(('figures', account_id), lambda: reads.append(1) or len(reads)))
        else:
            refreshed.append(tick.topics)

    watch = Watch(Page(), account_id, frozenset(topics), refresh)
    hub.add(watch)
    return watch


async def test_many_changes_make_one_round_per_interval_and_one_shared_read(hub):
    refreshed: list = []
    reads: list = []
    for _ in range(20):  # twenty open pages of one account
        _watch(hub, 1, {'usage'}, refreshed, reads)
    for _ in range(50):
        hub._mark({1: frozenset({'usage'})})
    await asyncio.sleep(0.3)
    assert hub.ticks == 1 and len(refreshed) == 20 and reads == [1]  # one read for twenty pages
    hub._mark({1: frozenset({'usage'})})
    await asyncio.sleep(INTERVAL / 2)
    assert hub.ticks == 1  # not before a second has passed since the last round
    await asyncio.sleep(INTERVAL)
    assert hub.ticks == 2 and len(refreshed) == 40 and reads == [1, 1]


async def test_pages_hear_only_their_account_and_their_topics(hub):
    keys_page, usage_page, other_account = [], [], []
    _watch(hub, 1, {'keys'}, keys_page)
    _watch(hub, 1, {'usage', 'balance'}, usage_page)
    _watch(hub, 2, {'usage'}, other_account)
    hub._mark({1: frozenset({'balance'})})
    await asyncio.sleep(0.3)
    assert keys_page == [] and usage_page == [frozenset({'balance'})] and other_account == []


async def test_an_unknown_account_change_reaches_every_page(hub):
    first, second = [], []
    _watch(hub, 1, {'usage'}, first)
    _watch(hub, 2, {'keys'}, second)
    hub._mark({None: frozenset({'usage', 'keys'})})  # after the channel to the database reconnected
    await asyncio.sleep(0.3)
    assert len(first) == 1 and len(second) == 1


async def test_a_page_away_is_skipped_and_catches_up_when_it_reconnects(hub):
    refreshed: list = []
    watch = _watch(hub, 1, {'usage'}, refreshed)
    watch.client.has_socket_connection = False
    hub._mark({1: frozenset({'usage'})})
    await asyncio.sleep(0.3)
    assert refreshed == [] and watch.stale
    watch.client.has_socket_connection = True
    for handler in watch.client.connect_handlers:
        handler()
    await asyncio.sleep(0.1)
    assert len(refreshed) == 1 and not watch.stale


async def test_a_closed_page_is_forgotten(hub):
    refreshed: list = []
    watch = _watch(hub, 1, {'usage'}, refreshed)
    for handler in watch.client.delete_handlers:
        handler()
    assert hub.watches == {}
    hub._mark({1: frozenset({'usage'})})
    await asyncio.sleep(0.3)
    assert refreshed == [] and hub.ticks == 0


async def test_a_failing_page_does_not_stop_the_others(hub):
    refreshed: list = []

    async def broken(_tick):
        raise RuntimeError('an element went away')

    hub.add(Watch(Page(), 1, frozenset({'usage'}), broken))
    _watch(hub, 1, {'usage'}, refreshed)
    hub._mark({1: frozenset({'usage'})})
    await asyncio.sleep(0.3)
    assert len(refreshed) == 1
