"""The per-key overrides of /routing: the list of active keys with what each overrides, and the dialogs that edit
or clear a key's override.

Split from the page so that each stays readable. The list follows changes made elsewhere (another tab, the API)
and redraws only when what it shows changed; an open override dialog keeps unsaved edits and says that the
settings changed (components/routing_live.py). The dialog helpers here serve the page's defaults form too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nicegui import ui

from components.changed_notice import ChangedNotice
from components.routing_form import PolicyForm, missing_need, policy_summary
from components.routing_live import OpenOverride, Routing, read_routing
from components.saving import save
from components.whatif import WhatIf, refusal_text
from components.widgets import card
from services import db
from services.keys.api_keys import KeyNotFound
from services.models import Account, ApiKey
from services.routing.policies import (
    PolicyError,
    account_settings,
    clear_key_override,
    key_override,
    set_key_override,
    validate,
)
from services.routing.whatif import preview

CSS = """
.lr-override { display: inline-block; padding: 0 8px; border-radius: 6px; background: #dcefe4; color: #17563e;
  font-weight: 600; }
.lr-key-policy { border-top: 1px solid #eaecf0; }
.lr-key-policy:first-of-type { border-top: 0; }
"""


def checked(form: PolicyForm, inherited: dict[str, Any]) -> dict[str, Any] | None:
    """The form's settings as the service stores them (typed); None, with the problem on its field, when invalid.

    whatif.preview takes drafts as they are, so they are validated here first: '1500' must become 1500.
    """
    form.clear_errors()
    try:
        settings = validate(form.values())
        problem = missing_need(inherited | settings)
        if problem:
            raise problem
    except PolicyError as error:
        form.show_error(error)
        return None
    return settings


def scroll_to(element: ui.element, *, narrower_than: int = 100_000) -> None:
    ui.run_javascript(
        f'if (window.innerWidth < {narrower_than}) '
        f'document.getElementById("c{element.id}")?.scrollIntoView({{behavior: "smooth", block: "start"}})'
    )


@contextmanager
def open_dialog(host: ui.element, title: str, width: str) -> Iterator[ui.dialog]:
    """A dialog made in `host` (outside any refreshable part, so a redraw does not take it away), deleted when
    closed, opened once its content is built."""
    with host:
        dialog = ui.dialog()
    dialog.on_value_change(lambda e: None if e.value else dialog.delete())
    with dialog, ui.card().classes(f'w-full {width} p-5 gap-3'):
        ui.label(title).classes('text-lg font-semibold')
        yield dialog
    dialog.open()


def confirm_refusals(host: ui.element, text: str, store: Callable[[], Awaitable[None]]) -> None:
    """Ask before saving settings that would have refused past requests; Cancel saves nothing."""
    with open_dialog(host, 'Save settings that refuse requests?', 'max-w-md') as dialog:
        with ui.row().classes('w-full items-start gap-2 flex-nowrap text-sm').mark('refusal-warning'):
            ui.icon('warning', size='20px').classes('text-amber-700 shrink-0')
            ui.label(text).mark('refusal-text')
        ui.label('Apps get an error for such requests until the settings change again.').classes('text-sm lr-muted')
        with ui.row().classes('w-full justify-end gap-2 pt-2'):
            ui.button('Cancel', on_click=dialog.close).props('flat no-caps').mark('cancel-save')
            confirm = ui.button('Save anyway', on_click=lambda: _confirmed(dialog, store))
            confirm.props('color=negative unelevated no-caps').mark('confirm-save')


async def _confirmed(dialog: ui.dialog, store: Callable[[], Awaitable[None]]) -> None:
    dialog.close()
    await store()


class KeyOverrides:
    """The per-key overrides card, built where it is made, and a host for dialogs right after it."""

    def __init__(self, account: Account, data: Routing) -> None:
        self.account = account
        self.data = data
        self.overrides: list[OpenOverride] = []  # open override dialogs, told of changes made elsewhere
        ui.add_css(CSS)
        self.key_list()
        self.host = ui.element('div')  # dialogs live here, outside the refreshable key list and the dialogs

    def show(self, data: Routing) -> None:
        """Keys as stored now: the list when what it shows changed, and any open override dialog."""
        before, self.data = self.data, data
        if data.shown() != before.shown():
            self.key_list.refresh()
        for dialog in list(self.overrides):
            dialog.compare(data)

    def refresh(self) -> None:
        """After this page's own change: the key list as stored now."""
        self.data = read_routing(self.account.id) or self.data
        self.key_list.refresh()

    @ui.refreshable_method
    def key_list(self) -> None:
        keys = self.data.keys
        policies = {k.id: self.data.effective(k.id) for k in keys}
        with card('Per-key overrides').mark('key-overrides'):
            ui.label(
                'A key can override any default, e.g. one app that must stay in the EU. Highlighted values are the '
                'key’s own; the rest inherit the defaults above. Revoked and expired keys are not listed.'
            ).classes('text-sm lr-muted')
            if not keys:
                ui.label('No active keys yet: create one on the Keys page.').classes('text-sm')
            with ui.column().classes('w-full gap-0'):
                for key in keys:
                    self._key_row(key, *policies[key.id])

    def _key_row(self, key: ApiKey, settings: dict[str, Any], sources: dict[str, str]) -> None:
        own = sorted(f for f, s in sources.items() if s == 'key')
        with ui.column().classes('lr-key-policy w-full gap-2 py-3').mark(f'key-row-{key.id}'):
            with ui.row().classes('w-full items-center justify-between gap-2'):
                with ui.row().classes('items-baseline gap-x-3 gap-y-0 min-w-0'):
                    ui.label(key.name).classes('font-semibold')
                    ui.label(f'{key.prefix}…').classes('font-mono text-xs lr-muted')
                    count = f'{len(own)} {"setting" if len(own) == 1 else "settings"} overridden'
                    ui.label(count if own else 'follows the defaults').classes('text-xs lr-muted')
                with ui.row().classes('gap-1 sm:ml-auto'):
                    ui.button('Edit override', icon='tune', on_click=lambda: self.edit_override(key)).props(
                        'flat dense no-caps'
                    ).mark(f'edit-override-{key.id}')
                    clear = ui.button('Clear override', icon='restart_alt', on_click=lambda: self.confirm_clear(key))
                    clear.props('flat dense no-caps color=negative').mark(f'clear-override-{key.id}')
                    clear.set_enabled(bool(own))
            with ui.element('div').classes('w-full grid grid-cols-2 md:grid-cols-4 gap-x-4 gap-y-2 text-sm'):
                for marker, label, text, fields in policy_summary(settings):
                    with ui.column().classes('gap-0 min-w-0'):
                        ui.label(label).classes('text-xs lr-muted')
                        if any(sources[f] == 'key' for f in fields):
                            value = ui.label(text).classes('lr-override self-start break-words max-w-full')
                        else:
                            value = ui.label(f'inherits ({text})').classes('lr-muted break-words')
                        value.mark(f'key-{key.id}-{marker}')

    def edit_override(self, key: ApiKey) -> None:
        with db.read_scope() as session:
            try:
                inherited, override = (
                    account_settings(session, self.account),
                    key_override(session, self.account, key.id),
                )
            except KeyNotFound:
                ui.notify('That key no longer exists', type='negative')
                return
        with open_dialog(self.host, f'Routing override for “{key.name}”', 'max-w-2xl') as dialog:
            ui.label(
                'Untick “inherit” to give this key its own value. Ticked fields follow the account defaults, '
                'now and when they change.'
            ).classes('text-sm lr-muted')
            notice = ChangedNotice('Load the new settings', 'override-changed')
            form = PolicyForm(override, inherited=inherited, on_change=lambda: whatif.mark_stale())
            with ui.column().classes('w-full gap-2 pt-2') as section:
                ui.label('What-if for this key').classes('lr-card-title')
                whatif = WhatIf(self.account, on_days=lambda: show(), compact=True)
            footer = ui.row().classes('w-full justify-end gap-2 py-3 flex-nowrap bg-white border-t border-slate-200')
            with footer.classes('sticky -bottom-5 z-10'):  # the buttons stay in view at the bottom of a long dialog
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
                show = lambda: self._key_preview(key, form, whatif, form.inherited)  # noqa: E731  (True when shown)
                ui.button('Preview', on_click=lambda: show() and scroll_to(section)).props('outline no-caps').mark(
                    'preview-key'
                )
                save_button = ui.button('Save').props('unelevated no-caps').mark('save-override')
                save_button.on_click(
                    lambda: self._save_override(dialog, key, form, whatif, form.inherited, save_button)
                )
        opened = OpenOverride(key, form, notice, inherited, override)
        self.overrides.append(opened)
        dialog.on_value_change(
            lambda e: None if e.value or opened not in self.overrides else self.overrides.remove(opened)
        )

    def _key_preview(self, key: ApiKey, form: PolicyForm, whatif: WhatIf, inherited: dict[str, Any]) -> bool:
        draft = checked(form, inherited)
        if draft is None:
            return False
        with db.read_scope() as session:
            result = preview(session, self.account, days=whatif.days.value, key_policies={key.id: draft})
        whatif.show(result, f'All your traffic, with this draft for {key.name} (not saved yet)')
        return True

    def _save_override(
        self,
        dialog: ui.dialog,
        key: ApiKey,
        form: PolicyForm,
        whatif: WhatIf,
        inherited: dict[str, Any],
        button: ui.button,
    ) -> Awaitable[None] | None:
        draft = checked(form, inherited)  # at once, like the defaults' save
        if draft is None:
            return None
        with db.read_scope() as session:
            result = preview(session, self.account, days=whatif.days.value, key_policies={key.id: draft})
        refused, total = result.refused(key.id)
        store = lambda: self._store_override(dialog, key, form, draft, button)  # noqa: E731
        if not refused:
            return store()
        whatif.show(result, f'All your traffic, with this draft for {key.name} (not saved yet)')
        confirm_refusals(self.host, refusal_text(refused, total, result.days, key_name=key.name), store)
        return None

    async def _store_override(
        self, dialog: ui.dialog, key: ApiKey, form: PolicyForm, draft: dict[str, Any], button: ui.button
    ) -> None:
        keep = lambda s: set_key_override(s, self.account, key.id, draft)  # noqa: E731
        clear = lambda s: clear_key_override(s, self.account, key.id)  # noqa: E731
        with self.host:  # closing the dialog deletes the button this handler came from, and its context with it
            try:
                stored, _ = await save(keep if draft else clear, button=button)
            except PolicyError as error:
                message = form.show_error(error)
                ui.notify(f'Nothing was saved: {message}', type='negative')
                return
            except KeyNotFound:
                ui.notify('That key no longer exists', type='negative')
                return
            if not stored:
                return
            dialog.close()
            ui.notify(f'Saved the override for “{key.name}”' if draft else f'“{key.name}” now follows the defaults',
                      type='positive')  # fmt: skip
            self.refresh()

    def confirm_clear(self, key: ApiKey) -> None:
        with open_dialog(self.host, f'Clear the override of “{key.name}”?', 'max-w-md') as dialog:
            ui.label('The key will follow the account defaults for every setting, from its next request.').classes(
                'text-sm'
            )
            with ui.row().classes('w-full justify-end gap-2 pt-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
                confirm = ui.button('Clear override', on_click=lambda: self._clear(dialog, key, confirm))
                confirm.props('color=negative unelevated no-caps').mark('confirm-clear')

    async def _clear(self, dialog: ui.dialog, key: ApiKey, button: ui.button) -> None:
        try:
            stored, _ = await save(lambda s: clear_key_override(s, self.account, key.id), button=button)
        except KeyNotFound:
            ui.notify('That key no longer exists', type='negative')
        else:
            if not stored:  # save() said so; the dialog stays for a retry
                return
            ui.notify(f'“{key.name}” now follows the defaults', type='positive')
        dialog.close()
        self.refresh()
