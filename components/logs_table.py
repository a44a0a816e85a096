"""The log of /logs: every generation of the view, newest first, 50 at a time with "Load more".

Each row is a link to the generation's page (reachable with Tab, opened with Enter), carrying the log's URL in
`back`. One markup serves both sizes: a table of aligned columns on a wide screen, a card of three short lines
on a phone. A page of rows is one element, appended as it comes.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from nicegui import run, ui

from services import db
from services.models import Account
from services.money import format_money
from services.timeutil import format_local
from services.usage.logs import LogPage, LogQuery, LogRow, log_page

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


def ms_text(value: int | None) -> str:
    return '—' if value is None else f'{value:,} ms'


def row_html(row: LogRow, zone: str, back: str) -> str:
    """One row: a link to the generation, cells in the order of HEAD (and provider · region for a phone)."""
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
    tokens = f'{row.total_tokens:,}'
    html += f'<span class="lr-log-num lr-log-tokens">{tokens}<span class="lr-log-unit"> tokens</span></span>'
    for name, text in (
        ('cost', format_money(row.cost_micros, row.currency, precise=True)),
        ('latency', ms_text(row.latency_ms)),
        ('ttft', ms_text(row.ttft_ms)),
    ):
        html += f'<span class="lr-log-num lr-log-{name}">{escape(text)}</span>'
    html += f'<span class="lr-log-where">{escape(row.provider)} · {escape(row.region)}</span>'
    href = f'/transactions/{quote(row.id, safe="")}?back={quote(back, safe="")}'
    label = f'{row.model}, {row.status}, {format_local(row.created_at, zone)}, {tokens} tokens'
    return (
        f'<a class="lr-log-row" href="{escape(href)}" data-id="{escape(row.id)}" aria-label="{escape(label)}">'
        f'{html}</a>'
    )


class LogTable:
    """The rows shown so far (`ids`, in order) and the cursor of the next page."""

    def __init__(self, account: Account, query: LogQuery, back: str, first: LogPage) -> None:
        self.account, self.query, self.back = account, query, back
        self.ids: list[str] = []
        self.cursor: str | None = None
        self.loading = False
        ui.add_css(CSS)
        with ui.card().classes('lr-card w-full p-0 gap-0'):
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

    def _append(self, page: LogPage) -> None:
        if page.rows:
            with self.body:
                html = ''.join(row_html(row, self.account.timezone, self.back) for row in page.rows)
                ui.html(html, sanitize=False).classes('w-full').mark('log-page')
        self.ids.extend(row.id for row in page.rows)
        self.cursor = page.next_cursor
        self.empty.set_visibility(not self.ids)
        self.more_button.set_visibility(self.cursor is not None)
        count = len(self.ids)
        ending = '' if self.cursor else ' (the end of the log)'
        self.shown.text = f'Showing {count:,} generation{"" if count == 1 else "s"}{ending}' if count else ''

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
