"""/login: the password form (a plain form post, so the signed session cookie is set by the server)."""

from __future__ import annotations

import re

from nicegui import ui

from components import theme
from components.safe import set_error, set_props
from services.account.auth import local_path

KNOWN_ERRORS = re.compile(r'That password is not right\.|Too many [a-z -]+\. Try again in \d{1,5} s\.')


@ui.page('/login')
def login_page(next: str = '/dashboard', error: str | None = None) -> None:
    theme.apply()
    ui.page_title('Sign in · lowrouter')
    with (
        ui.column().classes('w-full min-h-screen items-center justify-center p-4'),
        ui.card().classes('lr-card w-full max-w-sm p-6 gap-3'),
    ):
        with ui.row().classes('items-center gap-2'):
            ui.icon('eco', size='28px').classes('text-green-800')
            ui.label('lowrouter').classes('text-xl font-semibold')
        ui.label('Sign in to the dashboard').classes('lr-muted')
        with ui.element('form').props('method="post" action="/login"').classes('w-full flex flex-col gap-3'):
            password = ui.input('Password', password=True, password_toggle_button=True)
            password.props('name=password outlined autofocus autocomplete=current-password').classes('w-full')
            if error and KNOWN_ERRORS.fullmatch(error):  # only the sign-in's own words: no text planted by a link
                set_error(password, error)
            set_props(ui.element('input'), type='hidden', name='next', value=local_path(next))
            ui.button('Sign in').props('type=submit no-caps unelevated').classes('w-full')
