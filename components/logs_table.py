"""The log of /logs: every generation of the view, newest first, 50 at a time with "Load more".

Each row is a link to the generation's page (reachable with Tab, opened with Enter), carrying the log's URL in
`back`. One markup serves both sizes: a table of aligned columns on a wide screen, a card of three short lines
on a phone. A page of rows is one element, appended as it comes; rows that arrive live (components/logs_live.py)
are one element put on top, and slide in. Rows already there are never redrawn, so nothing flickers and a
focused row keeps its focus. A generation is listed once, however it came (live, or in a page of "Load more").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import quote

from nicegui import run, ui

from services import db, locales
from services.models import Account
from services.money import MICRO_DECIMALS, format_amount
from services.timeutil import format_local
from services.units import count_text
from services.usage.generations import encode_cursor
from services.usage.logs import LogPage, LogQuery, LogRow, log_page

MAX_ROWS = 1000  # rows kept on the page: beyond, the oldest pages give way to "Load more" again

CSS = """
.lr-log { width: 100%; }
.lr-log-row {
  display: grid; align-items: center; column-gap: 12px; padding: 7px 16px;
  grid-template-columns: 150px minmax(150px, 2fr) minmax(90px, 1fr) minmax(90px, 1fr) minmax(80px, 1fr) 92px
    80px 100px 76px 76px;
  border-top: 1px solid #eaecf0; color: inherit; text-decoration: none; font-size: 13px;
}
.lr-log-row > span { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
a.lr-log-row:hover { background: #f6faf7; }
a.lr-log-row:focus-visible { outline: 2px solid #2e7d32; outline-offset: -2px; background: #f6faf7; }
.lr-log-head { border-top: 0; font-size: 12px; font-weight: 600; color: #667085; padding-top: 4px; }
.lr-log-num { text-align: right; font-variant-numeric: tabular-nums; }
.lr-log-time { font-variant-numeric: tabular-nums; color: #475467; }
.lr-log-model { font-weight: 500; }
.lr-log-where, .lr-log-unit { display: none; }
.lr-log-head .lr-log-ttft { white-space: normal; line-height: 14px; }
.lr-badge { display: inline-block; border-radius: 999px; padding: 1px 8px; font-size: 12px; font-weight: 500;
  line-height: 18px; }
.lr-badge-completed { background: #e7f5ec; color: #1b5e20; }
.lr-badge-failed { background: #fdecea; color: #912018; }
.lr-badge-cancelled { background: #fff4e5; color: #93370d; }
@media (max-width: 767.98px) {
  .lr-log-head { display: none; }
  .lr-log-row {
    grid-template-columns: minmax(0, 1fr) auto; row-gap: 2px; padding: 10px 14px;
    grid-template-areas: "model status" "time cost" "where tokens";
  }
  .lr-log-provider, .lr-log-region, .lr-log-key, .lr-log-latency, .lr-log-ttft { display: none; }
  .lr-log-model { grid-area: model; font-size: 14px; font-weight: 600; }
  .lr-log-status { grid-area: status; text-align: right; }
  .lr-log-time { grid-area: time; }
  .lr-log-cost { grid-area: cost; font-weight: 600; }
  .lr-log-where { display: block; grid-area: where; color: #667085; }
  .lr-log-tokens { grid-area: tokens; color: #475467; }
  .lr-log-unit { display: inline; }
}
html, body { overflow-anchor: none; }  /* rows put on top push the list down, as seen at the top */
@keyframes lr-log-slide-in { from { opacity: 0; transform: translateY(-6px); } to { opacity: 1; transform: none; } }
@keyframes lr-log-new-glow { from { background: #e6f2ec; } to { background: transparent; } }
.lr-log-row.lr-row-new { animation: lr-log-slide-in 0.35s ease-out, lr-log-new-glow 2.5s ease-out; }
@media (prefers-reduced-motion: reduce) { .lr-log-row.lr-row-new { animation: none; } }
"""
HEAD = (
    ('time', 'Time'),
    ('model', 'Model'),
    ('provider', 'Provider'),
    ('region', 'Region'),
    ('key', 'Key'),
    ('status', 'Status'),
    ('tokens lr-log-num', 'Tokens'),
    ('cost lr-log-num', 'Cost'),
    ('latency lr-log-num', 'Latency'),
    ('ttft lr-log-num', 'First token'),
)


def ms_text(value: int | None, loc: str = locales.DEFAULT) -> str:
    return '—' if value is None else f'{count_text(value, loc)} ms'


def row_html(row: LogRow, zone: str, back: str, *, fresh: bool = False, loc: str = locales.DEFAULT) -> str:
    """One row: a link to the generation, cells in the order of HEAD (and provider · region for a phone); a
    `fresh` row (arrived live) slides in."""
    cells = (
        ('time', format_local(row.created_at, zone, seconds=True)),
        ('model', row.model),
        ('provider', row.provider),
        ('region', row.region),
        ('key', row.key_name or ('—' if row.key_id is None else f'key {row.key_id}')),
    )
    html = ''.join(f'<span class="lr-log-{name}">{escape(text)}</span>' for name, text in cells)
    html += f'<span class="lr-log-status"><span class="lr-badge lr-badge-{escape(row.status)}">'
    html += f'{escape(row.status)}</span></span>'
    tokens = count_text(row.total_tokens, loc)
    html += f'<span class="lr-log-num lr-log-tokens">{tokens}<span class="lr-log-unit"> tokens</span></span>'
    for name, text in (
        ('cost', format_amount(row.cost_micros, row.currency, MICRO_DECIMALS, locale=loc)),  # exact, aligned
        ('latency', ms_text(row.latency_ms, loc)),
        ('ttft', ms_text(row.ttft_ms, loc)),
    ):
        html += f'<span class="lr-log-num lr-log-{name}">{escape(text)}</span>'
    html += f'<span class="lr-log-where">{escape(row.provider)} · {escape(row.region)}</span>'
    href = f'/transactions/{quote(row.id, safe="")}?back={quote(back, safe="")}'
    label = f'{row.model}, {row.status}, {format_local(row.created_at, zone)}, {tokens} tokens'
    css = 'lr-log-row lr-row-new' if fresh else 'lr-log-row'
    return f'<a class="{css}" href="{escape(href)}" data-id="{escape(row.id)}" aria-label="{escape(label)}">{html}</a>'


@dataclass(eq=False)
class Chunk:
    """Rows shown as one element, newest first."""

    element: ui.html
    rows: list[LogRow]


class LogTable:
    """The rows shown (`chunks`, top first; `times`: each row's time by id) and the cursor of the next page."""

    def __init__(self, account: Account, query: LogQuery, back: str, first: LogPage) -> None:
        self.account, self.query, self.back = account, query, back
        self.chunks: list[Chunk] = []
        self.times: dict[str, datetime] = {}
        self.cursor: str | None = None
        self.loading = False
        ui.add_css(CSS)
        with ui.card().classes('lr-card w-full p-0 gap-0').mark('log-card') as self.card:
            head = ''.join(f'<span class="lr-log-{css}">{escape(text)}</span>' for css, text in HEAD)
            self.body = ui.column().classes('lr-log w-full gap-0').mark('log')
            with self.body:
                ui.html(f'<div class="lr-log-row lr-log-head" aria-hidden="true">{head}</div>', sanitize=False).classes(
                    'w-full'
                )
            self.empty = ui.label('No generations match this range and these filters.').classes('lr-muted px-4 py-4')
            with ui.row().classes('w-full items-center justify-between gap-2 px-4 py-3 border-t'):
                self.shown = ui.label().classes('text-sm lr-muted').mark('shown')
                self.more_button = (
                    ui.button('Load more', icon='expand_more', on_click=self.more)
                    .props('outline no-caps')
                    .mark('load-more')
                )
        self._append(first)

    @property
    def ids(self) -> list[str]:
        """The ids of the rows shown, top to bottom."""
        return [row.id for chunk in self.chunks for row in chunk.rows]

    @property
    def bottom(self) -> datetime | None:
        """The time of the last row when older rows remain for "Load more" (newer rows belong above it)."""
        if self.cursor is None or not self.chunks:
            return None
        return self.chunks[-1].rows[-1].created_at

    def shown_since(self, moment: datetime) -> int:
        """How many rows shown have `moment` or a later time."""
        return sum(1 for time in self.times.values() if time >= moment)

    def _chunk(self, rows: list[LogRow], *, fresh: bool) -> Chunk:
        with self.body:
            loc = locales.of(self.account)
            html = ''.join(row_html(row, self.account.timezone, self.back, fresh=fresh, loc=loc) for row in rows)
            element = ui.html(html, sanitize=False).classes('w-full').mark('log-page')
        self.times.update((row.id, row.created_at) for row in rows)
        return Chunk(element, rows)

    def _append(self, page: LogPage) -> None:
        rows = self._unseen(page.rows)
        if rows:
            self.chunks.append(self._chunk(rows, fresh=False))
        self.cursor = page.next_cursor
        self._show_state()

    def prepend(self, rows: list[LogRow]) -> int:
        """Put rows that arrived live on top (newest first; those already listed are skipped), then keep at most
        MAX_ROWS by handing the oldest pages back to "Load more". Returns how many rows were added."""
        rows = sorted(self._unseen(rows), key=lambda row: (row.created_at, row.id), reverse=True)
        if rows:
            chunk = self._chunk(rows, fresh=True)
            chunk.element.move(self.body, target_index=1)  # under the column heads, above every row shown
            self.chunks.insert(0, chunk)
            self._trim()
            self._show_state()
        return len(rows)

    def restart(self, first: LogPage) -> None:
        """Show `first` (the newest page) instead of every row shown, as a reload would, without one: when more
        arrived at once than a tail can list without a gap."""
        for chunk in self.chunks:
            chunk.element.delete()
        self.chunks.clear()
        self.times.clear()
        rows = self._unseen(first.rows)
        if rows:
            self.chunks.append(self._chunk(rows, fresh=True))
        self.cursor = first.next_cursor
        self._show_state()

    def _unseen(self, rows: list[LogRow]) -> list[LogRow]:
        seen: set[str] = set()
        unseen = []
        for row in rows:
            if row.id not in self.times and row.id not in seen:
                seen.add(row.id)
                unseen.append(row)
        return unseen

    def _trim(self) -> None:
        count = len(self.times)
        while len(self.chunks) > 1 and count - len(self.chunks[-1].rows) >= MAX_ROWS:
            chunk = self.chunks.pop()
            count -= len(chunk.rows)
            for row in chunk.rows:
                self.times.pop(row.id, None)
            chunk.element.delete()
            self.cursor = encode_cursor(self.chunks[-1].rows[-1])  # "Load more" goes on from the new last row

    def _show_state(self) -> None:
        count = len(self.times)
        self.empty.set_visibility(not count)
        self.more_button.set_visibility(self.cursor is not None)
        ending = '' if self.cursor else ' (the end of the log)'
        self.shown.text = (
            f'Showing {count_text(count, locales.of(self.account))} generation{"" if count == 1 else "s"}{ending}'
            if count
            else ''
        )

    async def more(self) -> None:
        if self.cursor is None or self.loading:  # a second click while a page is read adds nothing twice
            return
        self.loading = True
        self.more_button.props('loading')
        try:
            page = await run.io_bound(self._read, self.cursor)
        finally:
            self.loading = False
            self.more_button.props(remove='loading')
        self._append(page)

    def _read(self, cursor: str) -> LogPage:
        with db.read_scope() as session:
            return log_page(session, self.account, self.query, cursor=cursor)
