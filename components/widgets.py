"""The landing page's cards: Credit balance and Usage today."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from components.live_slot import Attribute, Labels, View
from services import locales
from services.catalog import display_name
from services.models import Account
from services.money import format_money, format_total
from services.units import count_text, tokens_text
from services.usage.dashboard import UsageSummary


def card(title: str, *, subtitle: str | None = None, link: tuple[str, str] | None = None) -> ui.card:
    """A widget card with its title; use as a context manager for the body. `link` (text, target) puts a link
    to a fuller view in the header, after the subtitle."""
    box = ui.card().classes('lr-card w-full p-4 gap-2 relative')
    with box, ui.row().classes('w-full items-baseline justify-between gap-2 flex-nowrap'):
        ui.label(title).classes('lr-card-title')
        if link:
            with ui.row().classes('items-baseline justify-end gap-x-3 gap-y-0 min-w-0'):
                if subtitle:
                    ui.label(subtitle).classes('text-xs lr-muted text-right')
                header_link(*link).mark(f'link-{slug(title)}')
        elif subtitle:
            ui.label(subtitle).classes('text-xs lr-muted text-right')
    return box


def header_link(text: str, target: str) -> ui.link:
    """A card header's link to a fuller view of what the card shows."""
    return ui.link(text, target).classes('lr-header-link text-xs whitespace-nowrap')


def slug(title: str) -> str:
    """'Top models (last 30 days)' -> 'top-models': a card's name in markers."""
    return title.split(' (')[0].strip().lower().replace(' ', '-')


def credit_view(account: Account, balance_micros: int, spent_month_micros: int, month_name: str) -> View:
    """Credit balance's shape (currency, warning, colour) and texts (see components/live_slot.py)."""
    currency, threshold, loc = account.currency, account.low_balance_threshold_micros, locales.of(account)
    shape = (currency, loc, threshold, balance_micros < threshold, balance_micros < 0)
    texts = {
        'balance': format_money(balance_micros, currency, locale=loc),
        'spent': f'{format_money(spent_month_micros, currency, locale=loc)} spent in {month_name}',
    }
    return shape, texts


def credit_balance_card(account: Account, balance_micros: int, spent_month_micros: int, month_name: str) -> Labels:
    (currency, loc, threshold, low, negative), texts = credit_view(
        account, balance_micros, spent_month_micros, month_name
    )
    with card('Credit balance', subtitle=currency):
        colour = 'text-red-700' if negative else ''
        balance = ui.label(texts['balance']).classes(f'lr-big lr-balance {colour}').mark('balance')
        if low:
            with ui.row().classes('items-center gap-1 text-amber-800 text-sm'):
                ui.icon('warning', size='18px')
                ui.label('Below your low-balance threshold of ' + format_money(threshold, currency, locale=loc))
        spent = ui.label(texts['spent']).classes('text-sm lr-muted lr-spent-month').mark('spent-month')
        ui.button('Top up', icon='add', on_click=lambda: ui.navigate.to('/credits')).props(
            'no-caps unelevated'
        ).classes('mt-2 self-start')
    return {'balance': balance, 'spent': spent}


def usage_today_view(account: Account, today: UsageSummary, active_model: str | None, key: int | None = None) -> View:
    """Usage today's shape (how many models are listed, which is selected) and texts. The models' names and
    links are texts too: models that trade places are updated in place, not drawn again."""
    top = today.by_model[:5]
    more = len(today.by_model) - len(top)
    loc = locales.of(account)
    shape = (account.currency, account.timezone, loc, tuple(u.model == active_model for u in top), more > 0)
    texts = {
        'tokens': tokens_text(today.tokens, locale=loc),
        'cost': format_money(today.cost_micros, account.currency, locale=loc),
        'requests': count_text(today.requests, loc),
    }
    for index, usage in enumerate(top):
        selected = usage.model == active_model
        keep = f'key={key}' if key else ''
        query = keep if selected else '&'.join(filter(None, [f'model={quote(usage.model, safe="")}', keep]))
        texts[f'mark-{index}'] = f'usage-{usage.model}'
        texts[f'href-{index}'] = f'/dashboard?{query}' if query else '/dashboard'
        texts[f'title-{index}'] = 'Clear the filter' if selected else f'Show only {usage.model}'  # ingested name
        texts[f'model-{index}'] = display_name(usage.model)
        texts[f'tokens-{index}'] = tokens_text(usage.tokens, locale=loc)
        texts[f'cost-{index}'] = format_total(usage.cost_micros, account.currency, locale=loc)  # totals: cents
    if more > 0:
        texts['more'] = f'and {more} more models'
    return shape, texts


def usage_today_card(
    account: Account, today: UsageSummary, active_model: str | None, key: int | None = None, *, more: str = '/usage'
) -> Labels:
    """Today's totals and the five largest models; a model filters the dashboard, and `more` (a /usage link) opens
    today's full list."""
    shape, texts = usage_today_view(account, today, active_model, key)
    labels: Labels = {}
    with card('Usage today', subtitle=f'since midnight, {account.timezone}'):
        with ui.row().classes('w-full gap-6'):
            for name in ('tokens', 'cost', 'requests'):
                labels[name] = _figure(texts[name], name)
        if not today.by_model:
            ui.label('No generations yet today.').classes('text-sm lr-muted')
            return labels
        with ui.column().classes('w-full gap-0 lr-usage-models'):
            for index, selected in enumerate(shape[3]):
                link = ui.link().classes('w-full no-underline text-slate-800')
                for name, prop in (('mark', None), ('href', 'href'), ('title', 'title')):
                    labels[f'{name}-{index}'] = Attribute(link, prop, texts[f'{name}-{index}'])
                with link, ui.row().classes('lr-usage-row flex-nowrap' + (' lr-usage-row-active' if selected else '')):
                    labels[f'model-{index}'] = ui.label(texts[f'model-{index}']).classes('truncate grow')
                    labels[f'tokens-{index}'] = ui.label(texts[f'tokens-{index}']).classes(
                        'w-16 text-right tabular-nums'
                    )
                    labels[f'cost-{index}'] = ui.label(texts[f'cost-{index}']).classes('w-20 text-right tabular-nums')
            if 'more' in texts:
                labels['more'] = ui.link(texts['more'], more).classes('text-xs pt-1 px-2').mark('more-models')
    return labels


def _figure(value: str, label: str) -> ui.label:
    with ui.column().classes('gap-0'):
        shown = ui.label(value).classes('text-xl font-semibold tabular-nums')
        ui.label(label).classes('text-xs lr-muted')
    return shown
