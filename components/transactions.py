"""Recent transactions: the last generations, newest first; a row opens its detail page."""

from __future__ import annotations

from nicegui import ui

from components.formatting import carbon_text, tokens_text
from services.models import Account, Generation
from services.money import format_money
from services.timeutil import format_local

NARROW_HIDDEN = 'max-md:hidden'  # fewer columns on a phone


def _column(name: str, label: str, align: str = 'left', *, wide_only: bool = False) -> dict:
    column = {'name': name, 'label': label, 'field': name, 'align': align}
    if wide_only:
        column |= {'classes': NARROW_HIDDEN, 'headerClasses': NARROW_HIDDEN}
    return column


COLUMNS = [
    _column('time', 'Time'),
    _column('model', 'Model'),
    _column('provider', 'Provider', wide_only=True),
    _column('region', 'Region', wide_only=True),
    _column('tokens', 'Tokens', 'right'),
    _column('cost', 'Cost', 'right'),
    _column('carbon', 'Carbon', 'right', wide_only=True),
]


def transaction_rows(account: Account, generations: list[Generation]) -> list[dict]:
    return [
        {
            'id': g.id,
            'time': format_local(g.created_at, account.timezone),
            'model': g.model + ('' if g.status == 'completed' else f' ({g.status})'),
            'provider': g.provider,
            'region': g.region,
            'tokens': tokens_text(g.total_tokens, exact=True),
            'cost': format_money(g.cost_micros, g.currency, precise=True),
            'carbon': carbon_text(g.carbon_g),
        }
        for g in generations
    ]


def recent_transactions(account: Account, generations: list[Generation]) -> ui.table:
    with ui.card().classes('lr-card w-full p-0 gap-0'):
        with ui.row().classes('w-full items-baseline justify-between px-4 pt-4 pb-2'):
            ui.label('Recent transactions').classes('lr-card-title')
            ui.label(f'last {len(generations)} generations · times in {account.timezone}').classes('text-xs lr-muted')
        rows = transaction_rows(account, generations)
        table = ui.table(columns=COLUMNS, rows=rows, row_key='id')
        table.props('flat dense hide-pagination :pagination="{rowsPerPage: 0}"').classes(
            'w-full lr-transactions max-md:hidden'
        )
        table.on('rowClick', lambda e: ui.navigate.to(f'/transactions/{e.args[1]["id"]}'))
        _phone_list(rows)
        if not generations:
            ui.label('No generations yet. Record one through the API and it will show here.').classes(
                'lr-muted px-4 pb-4'
            )
    return table


def _phone_list(rows: list[dict]) -> None:
    """On a phone, one compact line pair per generation instead of a wide table."""
    with ui.column().classes('w-full gap-0 md:hidden lr-transactions-phone'):
        for row in rows:
            with (
                ui.link(target=f'/transactions/{row["id"]}').classes('w-full no-underline text-slate-800'),
                ui.row().classes('w-full flex-nowrap items-center justify-between px-4 py-2 border-t gap-2'),
            ):
                with ui.column().classes('gap-0 min-w-0'):
                    ui.label(row['model']).classes('text-sm font-medium truncate')
                    ui.label(f'{row["time"]} · {row["provider"]} · {row["region"]}').classes(
                        'text-xs lr-muted truncate'
                    )
                with ui.column().classes('gap-0 items-end shrink-0'):
                    ui.label(row['cost']).classes('text-sm tabular-nums')
                    ui.label(f'{row["tokens"]} tok · {row["carbon"]}').classes('text-xs lr-muted tabular-nums')
