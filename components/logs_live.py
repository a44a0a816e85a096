"""The live tail of /logs: generations that arrive while the page is open come on top by themselves.

After each tick of components/live.py (at most one a second) the page reads the count of its view (the rollups)
and, when its range includes now, the rows of the view newer than the list's top: one index read of the last
moments, at most BOUND new rows. More than that in one read (heavy traffic) cannot be listed without a gap: at
the top the list starts again from the newest page, as a reload would, and further down the chip says so and
does that when clicked. While the operator is at the top of the list the rows go on top at once (they
slide in) with the new count; when they have scrolled down the list stays where it is and a chip says how many
are waiting ("3 new generations"); clicking it puts them on top and scrolls there. The browser says when the
operator crosses the top (a passive scroll listener that speaks only when the answer changes) and is asked
again after a reconnection.

Nothing is missed or listed twice: each read covers from a little before the previous one began (LOOKBACK, for
transactions that commit in another order than their times) and the list skips the ids it holds; a page that
was disconnected reads, when it is back, everything since its last read. A generation recorded with an earlier
time of the client's choosing (older than LOOKBACK when it arrives) counts at once but is listed on reload.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nicegui import background_tasks, run, ui
from nicegui.events import GenericEventArguments

from components import live
from components.logs_table import MAX_ROWS, LogTable
from services import db, locales
from services.models import Account
from services.units import count_text
from services.usage.logs import LogPage, LogQuery, LogRow, expected_rows, log_page, newer_rows

BOUND = 200  # new rows a read takes at most
LOOKBACK = timedelta(seconds=10)  # each read starts this much before the last one began,
STEP = 5  # rounded down to whole 5 seconds: the pages of one view opened about together share their reads
TOP_PX = 120  # the list's top may be this far under the header and still count as "at the top"
EVENT = 'lrtop'
ASK = 'return window.lrLogAtTop ? window.lrLogAtTop() : true'
CSS = """
.lr-log-chip { position: fixed; top: 68px; left: 50%; transform: translateX(-50%); z-index: 2100; }
.lr-log-chip .q-btn { box-shadow: 0 4px 14px rgba(16, 24, 40, 0.18); }
"""
# Tells the server when the top of the log (element `id`) goes out of view or comes back, never more often.
SCRIPT = """
(() => {
  const id = %(id)s, limit = %(limit)d;
  let sent = true, queued = false;
  const atTop = () => {
    const log = document.getElementById(id);
    if (!log) return true;
    const header = document.querySelector('.q-header');
    const edge = header ? header.getBoundingClientRect().bottom : 0;
    return log.getBoundingClientRect().top >= edge - limit;
  };
  const check = () => {
    queued = false;
    const now = atTop();
    if (now === sent) return;
    sent = now;
    const log = document.getElementById(id);
    if (log) log.dispatchEvent(new CustomEvent(%(event)s, {detail: now}));
  };
  const later = () => { if (!queued) { queued = true; requestAnimationFrame(check); } };
  window.addEventListener('scroll', later, {passive: true});
  window.addEventListener('resize', later, {passive: true});
  window.lrLogAtTop = () => { sent = atTop(); return sent; };
  window.lrLogToTop = () => {
    const log = document.getElementById(id);
    if (log) window.scrollTo({top: Math.max(0, window.scrollY + log.getBoundingClientRect().top - 84)});
    sent = true;
  };
})();
"""


class LiveLog:
    """Keeps a /logs page's list and count up to date (see the module's docstring)."""

    def __init__(
        self,
        account: Account,
        query: LogQuery,
        table: LogTable,
        count: int,
        show_count: Callable[[int], None],
        *,
        read_at: datetime,
    ) -> None:
        self.account, self.query, self.table, self.show_count = account, query, table, show_count
        self.count = count  # shown
        self.tailing = query.period.until > read_at  # a range wholly in the past gets no new rows
        self.read_at = read_at  # when the last read of rows began
        self.at_top = True
        self.held: list[LogRow] = []  # arrived while the operator was further down
        self.held_count: int | None = None
        self.overflow = False
        self.connections = 0
        self.asking: asyncio.Task | None = None
        self.client = ui.context.client
        ui.add_css(CSS)
        with ui.element('div').classes('lr-log-chip').mark('log-new-chip-box') as self.chip:
            self.chip_button = (
                ui.button(on_click=self.chip_clicked, icon='arrow_upward')
                .props('rounded unelevated no-caps color=green-9')
                .mark('log-new-chip')
            )
        self.chip.set_visibility(False)
        self.table.card.on(EVENT, self.moved, args=['detail'])
        script = SCRIPT % {'id': json.dumps(f'c{table.card.id}'), 'limit': TOP_PX, 'event': json.dumps(EVENT)}
        ui.add_body_html(f'<script>{script}</script>')
        self.client.on_connect(self.connected)  # before watch(): a reconnection asks where the operator is first
        live.watch(account.id, {'usage'}, self.refresh)

    async def refresh(self, tick: live.Tick) -> None:
        if self.asking is not None:
            await self.asking
        account, query = self.account, self.query
        count = await tick.shared(('logs-count', account.id, query), lambda: read_count(account.id, query))
        rows: list[LogRow] = []
        if self.tailing and not self.overflow:
            since = self.since()
            known = self.table.shown_since(since) + sum(row.created_at >= since for row in self.held)
            limit = -(-(known + BOUND) // 100) * 100  # whole hundreds: pages of the same view share the read
            key = ('logs-tail', account.id, query, since, limit)
            began, page = await tick.shared(key, lambda: read_newer(account, query, since, limit))
            if self.table.card.is_deleted:
                return
            held = {row.id for row in self.held}
            rows = [row for row in page.rows if row.id not in self.table.times and row.id not in held]
            if page.next_cursor is not None or len(rows) > BOUND:  # showing some would leave a gap
                self.overflow, rows = True, []
            else:
                self.read_at = began
        if self.table.card.is_deleted:
            return
        if self.overflow and self.at_top:
            await self.restart()
            return
        self.held = sorted([*rows, *self.held], key=lambda row: (row.created_at, row.id), reverse=True)
        self.held_count = count
        if len(self.held) > MAX_ROWS:
            self.overflow = True
        if self.at_top:
            self.release()
        else:
            self.show_chip()

    def since(self) -> datetime:
        """Where the next read starts: a little before the last one began (on a whole STEP), and never below the
        list's last row when older rows are left to "Load more" (they belong there, not on top)."""
        since = self.read_at - LOOKBACK
        since = since.replace(microsecond=0) - timedelta(seconds=since.second % STEP)
        bottom = self.table.bottom
        return since if bottom is None else max(since, bottom)

    def release(self) -> None:
        """Put the rows held on top and show the count read with them (after an overflow too: the rows held
        join the list without a gap; the gap begins above them, and the chip offers to reload)."""
        rows, self.held = self.held, []
        self.table.prepend(rows)
        if self.held_count is not None and self.held_count != self.count:
            self.count = self.held_count
            self.show_count(self.count)
        self.held_count = None
        self.show_chip()

    def show_chip(self) -> None:
        if self.overflow:
            self.chip_button.text = f'More than {BOUND} new generations: show the newest'
        else:
            n = len(self.held)
            self.chip_button.text = f'{count_text(n, locales.of(self.account))} new generation{"" if n == 1 else "s"}'
        self.chip.set_visibility(self.overflow or bool(self.held))

    def moved(self, event: GenericEventArguments) -> None:
        """The browser says the operator reached the top of the list (True) or left it (False)."""
        args = event.args
        self.at_top = bool(args.get('detail') if isinstance(args, dict) else args)
        if self.at_top:
            self.reached_top()

    def reached_top(self) -> None:
        """At the top: what waited goes on top, or after an overflow the list starts again from the newest."""
        if self.overflow:
            background_tasks.create(self.restart(), name='logs-restart')
        else:
            self.release()

    async def restart(self) -> None:
        """Start the list again from the newest page of the view, with the count read now."""
        account, query = self.account, self.query
        began, first, count = await run.io_bound(read_first, account, query)
        if self.table.card.is_deleted:
            return
        self.table.restart(first)
        self.held, self.held_count, self.overflow, self.read_at = [], None, False, began
        if count != self.count:
            self.count = count
            self.show_count(count)
        self.show_chip()

    def chip_clicked(self) -> None:
        if self.overflow:
            background_tasks.create(self._restart_at_top(), name='logs-restart')
            return
        self.release()
        self._to_top()

    async def _restart_at_top(self) -> None:
        await self.restart()
        self._to_top()

    def _to_top(self) -> None:
        self.at_top = True
        with self.table.card:
            ui.run_javascript('window.lrLogToTop && window.lrLogToTop()')

    def connected(self) -> None:
        self.connections += 1
        if self.connections > 1:  # back after a lost connection: the operator may have scrolled meanwhile
            self.asking = background_tasks.create(self.ask_position(), name='logs-position')

    async def ask_position(self) -> None:
        try:
            at_top = await self.client.run_javascript(ASK, timeout=3)
        except TimeoutError:
            return  # keep what the page knew
        finally:
            self.asking = None
        if at_top is not None:
            self.at_top = bool(at_top)
            if self.at_top:
                self.reached_top()


def read_count(account_id: int, query: LogQuery) -> int:
    with db.read_scope() as session:
        return expected_rows(session, account_id, query)


def read_first(account: Account, query: LogQuery) -> tuple[datetime, LogPage, int]:
    """When the read began, the newest page of the view and its count."""
    began = datetime.now(UTC)
    with db.read_scope() as session:
        return began, log_page(session, account, query), expected_rows(session, account.id, query)


def read_newer(account: Account, query: LogQuery, since: datetime, limit: int) -> tuple[datetime, LogPage]:
    """When the read began, and the rows of the view from `since` on (newest first, at most `limit`)."""
    began = datetime.now(UTC)
    with db.read_scope() as session:
        return began, newer_rows(session, account, query, since, limit=limit)
