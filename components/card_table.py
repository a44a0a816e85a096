"""A read-only table that stays readable on a phone: rows and columns on wide screens and, with `cards`, one card
per row below 768 px (each value beside its column's name). Plain HTML and CSS, no JavaScript; text wraps, and a
table still too wide for its screen scrolls sideways inside its own box, never clipped.

A column is (key, label), (key, label, note_key) to show row[note_key] in small type under the value, or
(key, label, cell) with `cell(row)` building the cell's content.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

from nicegui import context, ui

CSS = """
.lr-ctable-wrap { width: 100%; overflow-x: auto; }
.lr-ctable-wrap.lr-ctable-narrow { max-width: 48rem; }
.lr-ctable { width: 100%; border-collapse: collapse; font-size: 0.85rem; background: white; }
.lr-ctable th { text-align: left; font-weight: 600; color: #344054; background: #f2f4f7; padding: 6px 8px;
  vertical-align: bottom; }
.lr-ctable td { text-align: left; vertical-align: top; padding: 6px 8px; border-top: 1px solid #eaecf0;
  overflow-wrap: break-word; }
.lr-ctable td.lr-num { font-variant-numeric: tabular-nums; }
.lr-ctable .lr-note { font-size: 0.75rem; color: #667085; }
@media (min-width: 768px) { .lr-ctable td.lr-num { white-space: nowrap; } }
@media (max-width: 767px) {
  /* a long id may break on a very narrow phone rather than push the table wider than the screen */
  .lr-ctable td, .lr-ctable th { padding: 5px 6px; overflow-wrap: anywhere; }
  .lr-cards thead, .lr-cards td.lr-empty { display: none; }
  .lr-cards, .lr-cards tbody, .lr-cards tr { display: block; width: 100%; background: transparent; }
  .lr-cards tr { border: 1px solid #eaecf0; border-radius: 10px; margin-bottom: 8px; padding: 6px 12px;
    background: white; }
  .lr-cards td { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 10px; border: 0;
    padding: 3px 0; }
  .lr-cards td::before { content: attr(data-label); color: #667085; font-size: 0.75rem; padding-top: 2px; }
  .lr-cards td:first-child { grid-template-columns: minmax(0, 1fr); font-weight: 600; }
  .lr-cards td:first-child::before { display: none; }
  .lr-cards td:first-child .lr-note { font-weight: 400; }
}
"""

Column = tuple[str, str] | tuple[str, str, str | Callable[[dict], None]]
_STYLED: weakref.WeakSet = weakref.WeakSet()  # clients (pages) that have the CSS already


def card_table(
    rows: Iterable[dict], columns: list[Column], *, mark: str, numeric: Iterable[str] = (), cards: bool = True
) -> ui.element:
    """The table, marked `mark` (its rows `mark-row`); `numeric` columns use tabular figures and do not wrap
    on wide screens. `cards=False` keeps a narrow table a table on phones too."""
    if context.client not in _STYLED:
        ui.add_css(CSS)
        _STYLED.add(context.client)
    numeric = set(numeric)
    with (
        ui.element('div').classes('lr-ctable-wrap' + ('' if cards else ' lr-ctable-narrow')),
        ui.element('table').classes('lr-ctable' + (' lr-cards' if cards else '')).mark(mark) as table,
    ):
        with ui.element('thead'), ui.element('tr'):
            for column in columns:
                with ui.element('th'):
                    ui.label(column[1])
        with ui.element('tbody'):
            for row in rows:
                with ui.element('tr').mark(f'{mark}-row'):
                    for column in columns:
                        _cell(row, column, column[0] in numeric)
    return table


def _cell(row: dict, column: Column, numeric: bool) -> None:
    key, label, *extra = column
    empty = not (extra and callable(extra[0])) and row[key] in ('', None)
    td = ui.element('td').classes(('lr-num ' if numeric else '') + ('lr-empty' if empty else ''))
    td.props['data-label'] = label  # a prop as data: never parsed
    with td, ui.element('div'):
        if extra and callable(extra[0]):
            extra[0](row)
            return
        ui.label(row[key])
        if extra and row.get(extra[0]):
            ui.label(row[extra[0]]).classes('lr-note')
