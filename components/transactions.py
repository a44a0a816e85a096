"""Recent transactions: the last generations, newest first; a row opens its detail page, with the mouse or with
Tab and Enter. A detail page opened from a filtered view links back to that view (`back`)."""

from __future__ import annotations

from html import escape
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from nicegui import ui

from components.live import set_shared_prop, shared_render
from components.widgets import header_link
from services import locales
from services.models import Account, Generation
from services.money import column_decimals, format_amount
from services.timeutil import format_local
from services.units import carbon_numbers, carbon_unit, tokens_text

NARROW_HIDDEN = 'max-md:hidden'  # fewer columns on a phone
BACK_TARGETS = {'/dashboard': '← Dashboard', '/logs': '← Logs', '/usage': '← Usage'}  # where `back` may lead
MAX_BACK = 2000  # characters; a real view's URL is far shorter
ROW_EVENT = "$parent.$emit('rowClick', $event, props.row, props.rowIndex)"
ROW_TEMPLATE = f"""
<q-tr :props="props" tabindex="0" :data-id="props.row.id"
      :class="['lr-row-link', 'cursor-pointer', {{'lr-row-new': props.row.fresh}}]"
      @click="{ROW_EVENT}" @keydown.enter.prevent="{ROW_EVENT}">
  <q-td v-for="col in props.cols" :key="col.name" :props="props">{{{{ col.value }}}}</q-td>
</q-tr>
"""
FOCUS_CSS = """
.lr-phone-row:focus-visible { outline: 2px solid #1f6f50; outline-offset: -2px; background: #eef5f1; }
.lr-transactions tbody tr.lr-row-link:hover { background: #f4f8f6; }
.lr-transactions tbody tr.lr-row-link:focus-visible { outline: none; background: #e6f2ec; }
.lr-transactions tbody tr.lr-row-link:focus-visible > td { box-shadow: inset 0 2px #1f6f50, inset 0 -2px #1f6f50; }
.lr-transactions tbody tr.lr-row-link:focus-visible > td:first-child {
  box-shadow: inset 2px 0 #1f6f50, inset 0 2px #1f6f50, inset 0 -2px #1f6f50; }
.lr-transactions tbody tr.lr-row-link:focus-visible > td:last-child {
  box-shadow: inset -2px 0 #1f6f50, inset 0 2px #1f6f50, inset 0 -2px #1f6f50; }
@keyframes lr-slide-in { from { opacity: 0; transform: translateY(-6px); background: #e6f2ec; }
  to { opacity: 1; transform: none; } }
@keyframes lr-new-glow { from { background: #e6f2ec; } to { background: transparent; } }
.lr-row-new { animation: lr-slide-in 0.35s ease-out, lr-new-glow 2.5s ease-out; }
@media (prefers-reduced-motion: reduce) { .lr-row-new { animation: none; } }
"""  # a table row draws no outline of its own: its cells draw the ring


def transaction_href(generation_id: str, back: str | None = None) -> str:
    """The detail page of a generation; `back` (the local URL of the view it was opened from) is kept for its
    back link."""
    href = f'/transactions/{quote(generation_id, safe="")}'
    return f'{href}?{urlencode({"back": back})}' if back else href


def back_target(back: str | None) -> tuple[str, str]:
    """Where a detail page's back link goes, and its label: `back` when it is a local URL of /dashboard, /logs
    or /usage (with its query, re-encoded), else the dashboard. Anything else (another site, a scheme, '//'
    or a backslash, another page, control characters) is ignored, so the link can never lead off this site."""
    default = ('/dashboard', BACK_TARGETS['/dashboard'])
    if not back or len(back) > MAX_BACK or not back.startswith('/') or back.startswith(('//', '/\\')):
        return default
    if '\\' in back or any(ord(c) < 0x20 or ord(c) == 0x7F or c.isspace() for c in back):
        return default
    parts = urlsplit(back)
    if parts.scheme or parts.netloc or parts.fragment or parts.path not in BACK_TARGETS:
        return default
    query = urlencode(parse_qsl(parts.query))
    return (f'{parts.path}?{query}' if query else parts.path), BACK_TARGETS[parts.path]


def _column(name: str, label: str, align: str = 'left', *, wide_only: bool = False) -> dict:
    column = {'name': name, 'label': label, 'field': name, 'align': align}
    if wide_only:
        column |= {'classes': NARROW_HIDDEN, 'headerClasses': NARROW_HIDDEN}
    return column


def columns(unit: str) -> list[dict]:
    """The table's columns; the carbon column names its one unit in the heading."""
    return [
        _column('time', 'Time'),
        _column('model', 'Model'),
        _column('provider', 'Provider', wide_only=True),
        _column('region', 'Region', wide_only=True),
        _column('tokens', 'Tokens', 'right'),
        _column('cost', 'Cost', 'right'),
        _column('carbon', f'Carbon ({unit})', 'right', wide_only=True),
    ]


def transaction_rows(account: Account, generations: list[Generation], unit: str) -> list[dict]:
    """One row per generation; 'carbon' is a number in `unit`, and each of 'cost' and 'carbon' has the same
    decimals in every row (they align on the decimal point)."""
    loc = locales.of(account)
    decimals = column_decimals((g.cost_micros for g in generations), account.currency)
    carbon = carbon_numbers((g.carbon_g for g in generations), unit, locale=loc)
    return [
        {
            'id': g.id,
            'time': format_local(g.created_at, account.timezone),
            'model': g.model + ('' if g.status == 'completed' else f' ({g.status})'),
            'provider': g.provider,
            'region': g.region,
            'tokens': tokens_text(g.total_tokens, exact=True, locale=loc),
            'cost': format_amount(g.cost_micros, g.currency, decimals, locale=loc),
            'carbon': carbon_text,
        }
        for g, carbon_text in zip(generations, carbon, strict=True)
    ]


def recent_transactions(
    account: Account, generations: list[Generation], *, back: str | None = None, view_all: str | None = None
) -> RecentTransactions:
    """The table (a card list on a phone); `back` is the local URL of this view, kept by the detail pages it
    opens, and `view_all` (a /logs link) puts "View all" in the header. `show()` on the result puts newer
    generations in place: rows new to the table slide in, the rest stay as they are."""
    return RecentTransactions(account, generations, back, view_all)


class RecentTransactions:
    def __init__(self, account: Account, generations: list[Generation], back: str | None, view_all: str | None):
        ui.add_css(FOCUS_CSS)
        self.back = back
        with ui.card().classes('lr-card w-full p-0 gap-0'):
            with ui.row().classes('w-full items-baseline justify-between gap-x-3 gap-y-0 px-4 pt-4 pb-2'):
                ui.label('Recent transactions').classes('lr-card-title')
                with ui.row().classes('items-baseline justify-end gap-x-3 gap-y-0 min-w-0'):
                    self.subtitle = ui.label().classes('text-xs lr-muted')
                    if view_all:
                        header_link('View all', view_all).mark('link-recent-transactions')
            self.table = ui.table(columns=columns('g'), rows=[], row_key='id')  # rows: see show()
            self.table.props('flat dense hide-pagination :pagination="{rowsPerPage: 0}"').classes(
                'w-full lr-transactions max-md:hidden'
            )
            self.table.add_slot('body', ROW_TEMPLATE)  # a row takes the focus (Tab) and opens with Enter
            self.table.on('rowClick', lambda e: ui.navigate.to(transaction_href(e.args[1]['id'], back)))
            self.phone = ui.html('', sanitize=False).classes('w-full md:hidden lr-transactions-phone')
            self.empty = ui.label('No generations yet. Record one through the API and it will show here.')
            self.empty.classes('lr-muted px-4 pb-4')
        self.shown: list[str] = []
        self.unit = 'g'
        self.show(account, generations, first=True)

    def show(self, account: Account, generations: list[Generation], *, first: bool = False) -> None:
        ids = [g.id for g in generations]
        if ids == self.shown and not first:
            return
        before = set(self.shown)
        # formatted once for every open page showing these generations (components/live.py)
        unit, shared = shared_render(generations, ('rows', account.timezone), lambda: _formatted(account, generations))
        rows = [row | {'fresh': not first and row['id'] not in before} for row in shared]  # new ones slide in
        fresh = frozenset(row['id'] for row in rows if row['fresh'])
        self.subtitle.set_text(f'last {len(generations)} generations · times in {account.timezone}')
        if unit != self.unit:
            self.table.columns, self.unit = columns(unit), unit
        set_shared_prop(self.table, 'rows', rows)
        self.phone.set_content(
            shared_render(
                generations, ('phone', account.timezone, fresh, self.back), lambda: _phone_items(rows, unit, self.back)
            )
        )
        self.empty.set_visibility(not generations)
        self.shown = ids


def _formatted(account: Account, generations: list[Generation]) -> tuple[str, list[dict]]:
    unit = carbon_unit(g.carbon_g for g in generations)
    return unit, transaction_rows(account, generations, unit)


def _phone_items(rows: list[dict], unit: str, back: str | None) -> str:
    """On a phone, three short lines per generation instead of a wide table (one element: cheap to send): the
    model and cost, the time and figures, and where it ran (provider and region)."""
    return ''.join(
        f'<a class="lr-phone-row{" lr-row-new" if row.get("fresh") else ""}" '
        f'href="{escape(transaction_href(row["id"], back))}">'
        f'<span class="lr-phone-main"><b>{escape(row["model"])}</b><span>{escape(row["cost"])}</span></span>'
        f'<span class="lr-phone-sub"><span>{escape(row["time"])}</span>'
        f'<span>{escape(row["tokens"])} tok · {escape(row["carbon"])} {escape(unit)}</span></span>'
        f'<span class="lr-phone-sub lr-phone-where"><span>{escape(row["provider"])} · {escape(row["region"])}</span>'
        '</span></a>'
        for row in rows
    )
