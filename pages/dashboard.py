"""/dashboard: the operator's landing page. `?model=` filters every widget below Usage today, `?key=` every widget.

The page stays live: while it is open, recorded generations, top-ups and key changes show within about a
second (components/landing_live.py). The cards link into /usage and the transactions into /logs with the
same filters; a transaction opened here links back to this filtered view. An account that has recorded
nothing yet gets a start guide instead of empty widgets."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from nicegui import ui

from components.landing_live import LiveLanding, StartLanding
from components.saving import in_background
from components.shell import frame
from components.start_guide import start_guide_card
from components.view_state import View
from services.notifications.outbox import check_low_balance_soon
from services.routing.gateway import get_gateway
from services.usage.landing import load_landing


@ui.page('/')
def index() -> None:
    ui.navigate.to('/dashboard')


@ui.page('/dashboard')
def dashboard_page(request: Request, model: str | None = None, key: int | None = None) -> None:
    with frame('Dashboard', active='Dashboard', live=True) as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        in_background(lambda session: check_low_balance_soon(session, account))
        landing = load_landing(account.id, model=model or None, key_id=key or None)
        if landing is None:  # deleted meanwhile
            ui.navigate.to('/welcome')
            return
        if model or key:
            _filter_chips(model, key, landing.key_label)
        if landing.empty:  # nothing recorded yet: what to do first, not four empty widgets
            base, upstreams = _base_url(request), sorted(get_gateway().current())
            StartLanding(landing, lambda: start_guide_card(base, upstreams))
            return
        view = View(model=model or None, key=key or None)  # the dashboard's filters, in the URL terms of /usage
        LiveLanding(
            landing,
            model=model or None,
            key=key or None,
            today_link=usage_link(view, range='today', metric='tokens', model=None),  # the card lists every model
            usage_link=lambda m: usage_link(view, range='30d', model=m or model),
            over_time=usage_link(view, range='30d', metric='carbon'),
            back=f'/dashboard{view.query()}' if view.filters() else None,
            view_all=f'/logs{view.query()}',
        )


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
