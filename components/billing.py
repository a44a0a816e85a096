"""Pieces shared by /credits and /invoices: the balance card, billing tables with a PDF button, phone cards."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from nicegui import ui

from components.widgets import card
from services import locales
from services.billing.payments import DEFAULT_GATEWAY
from services.models import Account
from services.money import format_money

CSS = """
.lr-billing th { font-weight: 600; color: #475467; }
.lr-billing td { vertical-align: top; padding-top: 10px; padding-bottom: 10px; }
.lr-mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.8rem; }
"""
PDF_SLOT = r"""
<q-td :props="props" auto-width>
  <q-btn flat dense no-caps no-wrap size="sm" icon="download" label="PDF"
    :aria-label="'Download ' + props.row.number + ' as PDF'"
    @click="() => $parent.$emit('pdf', {id: props.row.id, number: props.row.number})" />
</q-td>
"""


def method_label(method: str | None) -> str:
    """'bank_transfer' -> 'Bank transfer': the gateway's label without its explanation in brackets."""
    label = DEFAULT_GATEWAY.methods.get(method or '', method or 'Other')
    return label.split(' (')[0]


def column(name: str, label: str, align: str = 'left') -> dict:
    return {'name': name, 'label': label, 'field': name, 'align': align}


def balance_card(
    account: Account, balance_micros: int, spent_month_micros: int, month_name: str, last_top_up: str | None
) -> None:
    """The dashboard's Credit balance figures, with a plain warning when the balance runs low."""
    currency, threshold, loc = account.currency, account.low_balance_threshold_micros, locales.of(account)
    with card('Credit balance', subtitle=currency).classes('h-full'):
        colour = 'text-red-700' if balance_micros < 0 else ''
        ui.label(format_money(balance_micros, currency, locale=loc)).classes(f'lr-big lr-balance {colour}').mark(
            'balance'
        )
        ui.label(f'{format_money(spent_month_micros, currency, locale=loc)} spent in {month_name}').classes(
            'text-sm lr-muted'
        ).mark('spent-month')
        if balance_micros < threshold:
            with (
                ui.row()
                .classes('w-full items-start gap-2 flex-nowrap rounded-lg p-2 mt-1 bg-amber-50 text-amber-900 text-sm')
                .mark('low-balance')
            ):
                ui.icon('warning', size='20px').classes('shrink-0 text-amber-700')
                ui.label(
                    'Your balance is below your low-balance threshold of '
                    f'{format_money(threshold, currency, locale=loc)}. '
                    'Top up soon so your apps keep running.'
                )
        with ui.column().classes('w-full gap-1 pt-3 mt-auto border-t border-slate-100'):
            fact('Last top-up', last_top_up or 'none yet')
            fact('Low-balance warning', f'below {format_money(threshold, currency, locale=loc)}')


def fact(label: str, value: str) -> None:
    with ui.row().classes('w-full justify-between text-sm gap-3 flex-nowrap'):
        ui.label(label).classes('lr-muted shrink-0')
        ui.label(value).classes('text-right tabular-nums break-words min-w-0')


def billing_table(columns: list[dict], rows: list[dict], slots: dict[str, str], on_pdf: Callable) -> ui.table:
    """A desktop table (hidden on a phone) whose last column is a PDF button emitting 'pdf' with the row id."""
    table = ui.table(columns=[*columns, column('pdf', '')], rows=rows, row_key='number')
    table.props('flat hide-bottom :pagination="{rowsPerPage: 0}"').classes('w-full lr-billing max-md:hidden')
    for name, slot in slots.items():
        table.add_slot(f'body-cell-{name}', slot)
    table.add_slot('body-cell-pdf', PDF_SLOT)
    table.on('pdf', lambda e: on_pdf(e.args['id']))
    return table


def phone_card(
    title: str, amount: str, facts: list[tuple[str, str]], on_pdf: Callable[[], Awaitable[None] | None], marker: str
) -> None:
    """One record on a phone: title and amount, a few labelled facts, and a PDF button."""
    with ui.column().classes('w-full gap-1 px-4 py-3 border-t border-slate-100').mark(f'card-{marker}'):
        with ui.row().classes('w-full items-baseline justify-between gap-2 flex-nowrap'):
            ui.label(title).classes('font-semibold truncate min-w-0')
            ui.label(amount).classes('font-semibold tabular-nums shrink-0')
        for label, value in facts:
            fact(label, value)
        ui.button('Download PDF', icon='download', on_click=on_pdf).props('flat dense no-caps').classes(
            'self-end'
        ).mark(f'pdf-{marker}')


def phone_list() -> ui.column:
    """The container of the phone cards (shown below 768 px, where the table is hidden)."""
    return ui.column().classes('w-full gap-0 md:hidden')


def list_card(title: str, note: str) -> ui.card:
    """A full-width card with a title row; the table and the phone cards go inside."""
    box = ui.card().classes('lr-card w-full p-0 gap-0')
    with box, ui.row().classes('w-full items-baseline justify-between gap-x-3 gap-y-0 px-4 pt-4 pb-2'):
        ui.label(title).classes('lr-card-title')
        ui.label(note).classes('text-xs lr-muted')
    return box


def empty_state(icon: str, title: str, text: str, marker: str) -> None:
    with ui.column().classes('w-full gap-1 px-4 pb-5 pt-2 items-start').mark(marker):
        ui.icon(icon, size='32px').classes('text-slate-400')
        ui.label(title).classes('font-semibold')
        ui.label(text).classes('text-sm lr-muted')
