"""Open pages that update by themselves: one hub per process, coalescing what changed per account.

A page calls `watch(account_id, topics, refresh)`; `refresh(tick)` updates its elements in place. When a
writer's transaction commits (services/live), the hub marks the account and, at most once a second per
account whatever the traffic, runs every watching page of that account in one tick. A tick shares what
the pages read (`tick.shared(key, read)`: read once, in a worker thread, for every page that asks for the
same key), so twenty open dashboards of one account cost one read, not twenty; `shared_render` does the same
for what they draw of it (a chart's figure, formatted rows).

A page whose browser is disconnected is skipped and marked stale; when it reconnects it refreshes at once,
so it catches up on what it missed. Pages read whole figures again (never add up increments), so a
refresh can neither miss a generation nor count one twice.

`live_mark()` shows in the header whether the page is connected (and so live).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from nicegui import Client, run, ui

from services.live import bus

log = logging.getLogger('lowrouter')
INTERVAL = 1.0  # seconds: at most one refresh per account (and so per page) in this time
GATHER = 0.05  # seconds to wait after the first change of a quiet account, for the others of the same moment
Refresh = Callable[['Tick'], Awaitable[None]]


class Tick:
    """One round of refreshes of an account: reads shared by every page in it."""

    def __init__(self, topics: frozenset[str]) -> None:
        self.topics = topics
        self._reads: dict[Hashable, asyncio.Future] = {}

    async def shared(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """`read()` run once per tick and key, in a worker thread; every page asking for `key` gets its result."""
        if key not in self._reads:
            self._reads[key] = asyncio.ensure_future(run.io_bound(read))
        return await asyncio.shield(self._reads[key])


@dataclass(eq=False)
class Watch:
    client: Client
    account_id: int
    topics: frozenset[str]
    refresh: Refresh
    stale: bool = False
    running: asyncio.Task | None = field(default=None, repr=False)


class Hub:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.watches: dict[int, list[Watch]] = {}
        self.pending: dict[int, set[str]] = {}
        self.last_run: dict[int, float] = {}
        self.scheduled: set[int] = set()
        self.ticks = 0  # rounds run, for tests and the bench
        self._unsubscribe: Callable[[], None] | None = None
        self._tasks: set[asyncio.Task] = set()

    def start(self) -> None:
        """Listen to this process's change bus (at app start-up, in the event loop). A new loop (the app started
        again in this process, as tests do) starts with nothing pending: rounds scheduled on the old one never run."""
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.watches.clear()
            self.pending.clear()
            self.last_run.clear()
            self.scheduled.clear()
        self.loop = loop
        if self._unsubscribe is None:
            self._unsubscribe = bus.subscribe(self._from_any_thread)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def add(self, watch: Watch) -> None:
        self.watches.setdefault(watch.account_id, []).append(watch)
        watch.client.on_delete(lambda: self.remove(watch))
        watch.client.on_connect(lambda: self._reconnected(watch))

    def remove(self, watch: Watch) -> None:
        watches = self.watches.get(watch.account_id, [])
        if watch in watches:
            watches.remove(watch)
        if not watches:
            self.watches.pop(watch.account_id, None)

    def _from_any_thread(self, changes: bus.Changes) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._mark, changes)

    def _mark(self, changes: bus.Changes) -> None:
        for account_id, topics in changes.items():
            accounts = list(self.watches) if account_id is None else [account_id]
            for account in accounts:
                if account in self.watches:
                    self.pending.setdefault(account, set()).update(topics)
                    self._schedule(account)

    def _schedule(self, account_id: int) -> None:
        if account_id in self.scheduled:
            return  # the next round takes these changes too
        self.scheduled.add(account_id)
        due = self.last_run.get(account_id, 0.0) + INTERVAL
        delay = max(GATHER, due - time.monotonic())
        asyncio.get_running_loop().call_later(delay, lambda: self._task(self._round(account_id)))

    async def _round(self, account_id: int) -> None:
        self.scheduled.discard(account_id)
        topics = frozenset(self.pending.pop(account_id, ()))
        watches = [w for w in self.watches.get(account_id, []) if w.topics & topics]
        if not watches:
            return
        self.last_run[account_id] = time.monotonic()
        self.ticks += 1
        tick = Tick(topics)
        await asyncio.gather(*(self._run(watch, tick) for watch in watches))

    async def _run(self, watch: Watch, tick: Tick) -> None:
        if watch.client.is_deleted:
            self.remove(watch)
            return
        if not watch.client.has_socket_connection:
            watch.stale = True  # refreshed when it is back
            return
        if watch.running is not None and not watch.running.done():
            await watch.running  # the last refresh of this page is still under way: never two at once
        watch.stale = False
        watch.running = asyncio.current_task()
        try:
            await watch.refresh(tick)
        except Exception:
            log.exception('a live page could not refresh')

    def _reconnected(self, watch: Watch) -> None:
        if watch.stale:
            self._task(self._run(watch, Tick(watch.topics)))

    def _task(self, work) -> None:
        """Run `work` in the hub's loop, keeping a reference until it is done (a task nobody holds may vanish)."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


hub = Hub()
_rendered: dict[tuple[int, Hashable], tuple[object, Any]] = {}
RENDERED = 64  # drawings remembered (a handful per open view)


def shared_render(anchor: object, key: Hashable, build: Callable[[], Any]) -> Any:
    """`build()` once for every page that draws the same data: `anchor` is the object a tick's shared read
    gave every page of a view (so twenty dashboards build one chart figure, not twenty), `key` what is drawn
    of it. The result is shared: pages must not change it."""
    slot = (id(anchor), key)
    hit = _rendered.get(slot)
    if hit is not None and hit[0] is anchor:
        return hit[1]
    value = build()
    if len(_rendered) >= RENDERED:
        _rendered.clear()
    _rendered[slot] = (anchor, value)
    return value


def set_shared_prop(element: ui.element, name: str, value: Any) -> None:
    """Give `element` a prop shared with other pages (see shared_render), or made for this update only, and
    send it. Stored as it is: NiceGUI would copy every nested dict and list of a prop into an observable one
    with a change handler each, which for 50 table rows on 20 open pages every second cost more than the
    rest of the update. The value must not be changed afterwards (set a new one instead)."""
    dict.__setitem__(element.props, name, value)
    element.update()


def watch(account_id: int, topics: set[str] | frozenset[str], refresh: Refresh) -> Watch:
    """Refresh the current page with `refresh(tick)` after changes of these topics in the account."""
    watched = Watch(ui.context.client, account_id, frozenset(topics), refresh)
    hub.add(watched)
    return watched


LIVE_JS = """
(() => {
  const mark = () => document.querySelectorAll('.lr-live');
  const show = () => {
    const on = !!(window.socket && window.socket.connected && window.did_handshake);
    mark().forEach((el) => {
      if (el.dataset.on === String(on)) return;
      el.dataset.on = String(on);
      el.querySelector('.lr-live-text').textContent = on ? 'Live' : 'Offline';
      el.title = on
        ? 'Connected: this page updates by itself as traffic arrives.'
        : 'Connection lost: reconnecting. The page catches up when it is back.';
    });
  };
  if (!window.lrLiveTimer) window.lrLiveTimer = setInterval(show, 500);
  show();
})();
"""
LIVE_CSS = """
.lr-live { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; line-height: 18px;
  padding: 2px 8px; border-radius: 9999px; background: rgba(255,255,255,0.14); color: #fff; white-space: nowrap; }
.lr-live .lr-live-dot { width: 8px; height: 8px; border-radius: 9999px; background: #9ca3af; }
.lr-live[data-on="true"] .lr-live-dot { background: #6ee7b7; box-shadow: 0 0 0 3px rgba(110,231,183,0.25); }
.lr-live[data-on="false"] { background: #fef3c7; color: #92400e; }
.lr-live[data-on="false"] .lr-live-dot { background: #d97706; }
"""


def live_mark() -> None:
    """A small mark in the header: "Live" while connected, "Offline" (reconnecting) when not."""
    ui.add_css(LIVE_CSS)
    ui.html(
        '<span class="lr-live" data-on="" role="status" aria-live="polite" title="Connecting">'
        '<span class="lr-live-dot"></span><span class="lr-live-text">Live</span></span>',
        sanitize=False,
    ).mark('live-mark')
    ui.add_body_html(f'<script>{LIVE_JS}</script>')
