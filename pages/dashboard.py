"""/dashboard: the operator's landing page. `?model=` filters every widget below Usage today, `?key=` every widget.

The cards link into /usage and the transactions into /logs with the same filters; a transaction opened here
links back to this filtered view. An account that has recorded nothing yet gets a start guide instead of
empty widgets."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from fastapi import Request
from nicegui import ui

from components.charts import top_models_card
from components.eco_panel import eco_impact_card
from components.saving import in_background
from components.shell import frame
from components.start_guide import start_guide_card
from components.transactions import recent_transactions
from components.view_state import View
from components.widgets import credit_balance_card, usage_today_card
from services import db
from services.billing.ledger import credit_balance
from services.eco.impact import eco_impact
from services.notifications.outbox import check_low_balance_soon
from services.routing.gateway import get_gateway
from services.timeutil import local
from services.usage.dashboard import top_models, usage_today
from services.usage.query import first_usage
from services.usage.totals import key_name, recent_generations, spent_this_month


@ui.page('/')
def index() -> None:
    ui.navigate.to('/dashboard')


@ui.page('/dashboard')
def dashboard_page(request: Request, model: str | None = None, key: int | None = None) -> None:
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
            empty = not recent and not today.requests and not top.by_model and first_usage(session, account.id) is None
        if model or key:
            _filter_chips(model, key, key_label)
        month = local(now, account.timezone).strftime('%B')
        if empty:  # nothing recorded yet: what to do first, not four empty widgets
            with ui.element('div').classes(
                'grid grid-cols-1 md:grid-cols-[minmax(0,1fr)_minmax(0,2fr)] items-start gap-4 w-full'
            ):
                credit_balance_card(account, balance, spent, month)
                start_guide_card(_base_url(request), sorted(get_gateway().current()))
            return
        view = View(model=model or None, key=key or None)  # the dashboard's filters, in the URL terms of /usage
        here = f'/dashboard{view.query()}' if view.filters() else None
        with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 gap-4 w-full lr-widgets'):
            credit_balance_card(account, balance, spent, month)
            today_link = usage_link(view, range='today', metric='tokens', model=None)  # the card lists every model
            usage_today_card(account, today, model, key, more=today_link)
            top_models_card(account, top, usage_link=lambda m: usage_link(view, range='30d', model=m or model))
            eco_impact_card(impact, over_time=usage_link(view, range='30d', metric='carbon'))
        recent_transactions(account, recent, back=here, view_all=f'/logs{view.query()}')


def usage_link(view: View, **changes) -> str:
    """/usage grouped by model with the dashboard's filters (`view`) and `changes` (range, metric, a model)."""
    return f'/usage{view.query(group="model", **changes)}'


def _base_url(request: Request) -> str:
    """This server's address as the browser reached it, for the start guide's example request."""
    return str(request.base_url).rstrip('/')


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
