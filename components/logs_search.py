"""The search box of /logs: a generation id opens its page; otherwise the box says why it was not found."""

from __future__ import annotations

from urllib.parse import quote

from nicegui import ui

from services import db
from services.models import Account
from services.usage.lookup import find_generation


def search_box(account: Account, back: str) -> None:
    with ui.column().classes('gap-1 w-full'):
        with ui.row().classes('items-start gap-2 w-full flex-nowrap'):
            field = (
                ui.input('Find a generation by id', placeholder='gen-…')
                .props('outlined dense clearable autocomplete=off spellcheck=false')
                .classes('grow max-w-md')
                .mark('search')
            )
            ui.button('Open', icon='search', on_click=lambda: find()).props('unelevated no-caps').classes(
                'mt-1 shrink-0'
            ).mark('search-open')
        message = ui.label().classes('text-sm text-red-800 break-words max-w-2xl').mark('search-message')
        message.set_visibility(False)

    def find() -> None:
        with db.read_scope() as session:
            found = find_generation(session, account, field.value or '')
        if found.found:
            ui.navigate.to(f'/transactions/{quote(found.generation_id, safe="")}?back={quote(back, safe="")}')
            return
        text = found.message or ''
        message.text = text[0].upper() + text[1:] if text else ''
        message.set_visibility(bool(text))

    field.on('keydown.enter', find)
    field.on_value_change(lambda: message.set_visibility(False))
