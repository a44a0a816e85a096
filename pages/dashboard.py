"""/dashboard: the operator's landing page."""

from __future__ import annotations

from nicegui import ui

from components.shell import frame
from components.transactions import recent_transactions
from services import db
from services.usage import recent_generations


@ui.page('/')
def index() -> None:
    ui.navigate.to('/dashboard')


@ui.page('/dashboard')
def dashboard_page() -> None:
    with frame('Dashboard', active='Dashboard') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        with db.session_scope() as session:
            generations = recent_generations(session, account.id, limit=50)
        recent_transactions(account, generations)
