"""Recent transactions: the last generations, newest first; a row opens its detail page."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from nicegui import ui

from services.models import Account, Generation
from services.money import format_money
from services.timeutil import format_local
from services.units import carbon_number, carbon_unit, tokens_text

NARROW_HIDDEN = 'max-md:hidden'  # fewer columns on a phone


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
    """One row per generation; 'carbon' is a number in `unit` (every row the same unit)."""
    return [
        {
            'id': g.id,
            'time': format_local(g.created_at, account.timezone),
            'model': g.model + ('' if g.status == 'completed' else f' ({g.status})'),
            'provider': g.provider,
            'region': g.region,
            'tokens': tokens_text(g.total_tokens, exact=True),
            'cost': format_money(g.cost_micros, g.currency, precise=True),
            'carbon': carbon_number(g.carbon_g, unit),
        }
        for g in generations
    ]


def recent_transactions(account: Account, generations: list[Generation]) -> ui.table:
    with ui.card().classes('lr-card w-full p-0 gap-0'):
        with ui.row().classes('w-full items-baseline justify-between px-4 pt-4 pb-2'):
            ui.label('Recent transactions').classes('lr-card-title')
            ui.label(f'last {len(generations)} generations · times in {account.timezone}').classes('text-xs lr-muted')
        unit = carbon_unit(g.carbon_g for g in generations)
        rows = transaction_rows(account, generations, unit)
        table = ui.table(columns=columns(unit), rows=rows, row_key='id')
        table.props('flat dense hide-pagination :pagination="{rowsPerPage: 0}"').classes(
            'w-full lr-transactions max-md:hidden'
        )
        table.on('rowClick', lambda e: ui.navigate.to(f'/transactions/{e.args[1]["id"]}'))
        _phone_list(rows, unit)
        if not generations:
            ui.label('No generations yet. Record one through the API and it will show here.').classes(
                'lr-muted px-4 pb-4'
            )
    return table


def _phone_list(rows: list[dict], unit: str) -> None:
    """On a phone, three short lines per generation instead of a wide table (one element: cheap to send)."""
    items = ''.join(
        f'<a class="lr-phone-row" href="/transactions/{quote(row["id"])}">'
        f'<span class="lr-phone-main"><b>{escape(row["model"])}</b><span>{escape(row["cost"])}</span></span>'
        f'<span class="lr-phone-sub"><span>{escape(row["time"])}</span>'
        f'<span>{escape(row["tokens"])} tok · {escape(row["carbon"])} {escape(unit)}</span></span>'
        f'<span class="lr-phone-sub"><span>{escape(row["provider"])} · {escape(row["region"])}</span></span></a>'
        for row in rows
    )
    ui.html(items, sanitize=False).classes('w-full md:hidden lr-transactions-phone')
