"""/dashboard: the operator's landing page. `?model=` filters every widget below Usage today."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from nicegui import ui

from components.charts import top_models_card
from components.eco_panel import eco_impact_card
from components.saving import in_background
from components.shell import frame
from components.transactions import recent_transactions
from components.widgets import credit_balance_card, usage_today_card
from services import db
from services.billing.ledger import credit_balance
from services.eco.impact import eco_impact
from services.notifications.outbox import check_low_balance_soon
from services.timeutil import local
from services.usage.dashboard import top_models, usage_today
from services.usage.totals import key_name, recent_generations, spent_this_month


@ui.page('/')
def index() -> None:
    ui.navigate.to('/dashboard')


@ui.page('/dashboard')
def dashboard_page(model: str | None = None, key: int | None = None) -> None:
    with frame('Dashboard', active='Dashboard') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        now = datetime.now(UTC)
        in_background(lambda session: check_low_balance_soon(session, account))
        with db.read_scope() as session:
            balance = credit_balance(session, account)
            spent = spent_this_month(session, account, now=now)
            today = usage_today(session, account, key_id=key, now=now)
            top = top_models(session, account, model=model, key_id=key, now=now)
            impact = eco_impact(session, account, model=model, key_id=key, now=now)
            recent = recent_generations(session, account.id, limit=50, model=model, key_id=key)
            key_label = key_name(session, key) if key else None
        if model or key:
            _filter_chips(model, key, key_label)
        with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 gap-4 w-full lr-widgets'):
            credit_balance_card(account, balance, spent, local(now, account.timezone).strftime('%B'))
            usage_today_card(account, today, model, key)
            top_models_card(account, top)
            eco_impact_card(impact)
        recent_transactions(account, recent)


def _filter_chips(model: str | None, key: int | None, key_label: str | None) -> None:
    with ui.row().classes('items-center gap-2'):
        ui.label('Showing only').classes('text-sm lr-muted')
        if key:
            others = f'?model={quote(model, safe="")}' if model else ''
            ui.chip(f'key {key_label or key}', icon='key', removable=True).props(
                'color=green-1 text-color=green-10'
            ).on('remove', lambda: ui.navigate.to(f'/dashboard{others}')).classes('lr-filter-chip')
        if model:
            others = f'?key={key}' if key else ''
            ui.chip(model, icon='filter_alt', removable=True).props('color=green-1 text-color=green-10').on(
                'remove', lambda: ui.navigate.to(f'/dashboard{others}')
            ).classes('lr-filter-chip')
        ui.link('Clear filter', '/dashboard').classes('text-sm')
