"""/routing: the account's routing defaults (lowrouter/auto), a what-if preview of a change, and per-key overrides."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from nicegui import background_tasks, run, ui

from components.route_stats import route_stats_card
from components.routing_form import PolicyForm, missing_need, policy_summary
from components.saving import save
from components.shell import frame
from components.whatif import WhatIf, refusal_text
from components.widgets import card
from services import db
from services.keys.api_keys import KeyNotFound, key_status, list_keys
from services.models import Account, ApiKey
from services.routing.policies import (
    PolicyError,
    account_settings,
    clear_key_override,
    complete_settings,
    effective,
    key_override,
    set_account_settings,
    set_key_override,
    validate,
)
from services.routing.route_stats import DAYS as STATS_DAYS
from services.routing.route_stats import StatsWindow, provider_stats
from services.routing.whatif import Preview, preview

CSS = """
.lr-override { display: inline-block; padding: 0 8px; border-radius: 6px; background: #dcefe4; color: #17563e;
  font-weight: 600; }
.lr-key-policy { border-top: 1px solid #eaecf0; }
.lr-key-policy:first-of-type { border-top: 0; }
"""


def _checked(form: PolicyForm, inherited: dict[str, Any]) -> dict[str, Any] | None:
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


def _scroll_to(element: ui.element, *, narrower_than: int = 100_000) -> None:
    ui.run_javascript(
        f'if (window.innerWidth < {narrower_than}) '
        f'document.getElementById("c{element.id}")?.scrollIntoView({{behavior: "smooth", block: "start"}})'
    )


@ui.page('/routing')
def routing_page() -> None:
    with frame('Auto-routing', active='Auto-routing') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        RoutingView(account)


class RoutingView:
    """One visitor's routing page: the defaults form, its what-if preview and the keys' overrides."""

    def __init__(self, account: Account) -> None:
        self.account = account
        ui.add_css(CSS)
        with db.read_scope() as session:
            self.saved = account_settings(session, account)
        with ui.column().classes('gap-1 max-w-3xl'):
            ui.label('Auto-routing').classes('text-2xl font-semibold')
            ui.label(
                'These rules decide where each request runs: the provider and region, and also the model when an '
                'app asks for lowrouter/auto. Every key follows them unless it has its own override.'
            ).classes('lr-muted text-sm')
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4 items-start'):
            with card('Account defaults for lowrouter/auto').mark('defaults'):
                self.form = PolicyForm(self.saved, on_change=lambda: self.whatif.mark_stale())
                with ui.row().classes('w-full justify-end gap-2 pt-2'):
                    preview_button = ui.button('Preview', icon='query_stats', on_click=self.preview_clicked)
                    preview_button.props('outline no-caps').mark('preview')
                    save_button = ui.button('Save', icon='check', on_click=lambda: self.save(save_button))
                    save_button.props('unelevated no-caps').mark('save')
            with card('What-if preview').mark('preview-card') as self.panel:
                ui.label(
                    'What the settings would have done to your real traffic. Keys with their own overrides keep them.'
                ).classes('text-sm')
                self.whatif = WhatIf(account, on_days=self.run_preview)
        self.stats = ui.element('div').classes('w-full')
        with self.stats, card(f'Providers, last {STATS_DAYS} days'):
            ui.spinner(size='md').classes('self-center')
        background_tasks.create(self.show_stats(), name='route stats')
        self.key_list()
        self.host = ui.element('div')  # dialogs live here, outside the refreshable key list and the dialogs
        self.run_preview()

    def _settings(self) -> dict[str, Any] | None:
        """The form's settings, checked and typed; None (with the problem on its field) when they cannot be used."""
        return _checked(self.form, {})

    async def show_stats(self) -> None:
        """The stats card, read in a worker thread (it reads a week of generations), then put in its place."""
        window = await run.io_bound(self._read_stats)
        if self.stats.is_deleted:  # the visitor left meanwhile
            return
        self.stats.clear()
        with self.stats:
            route_stats_card(self.account, window)

    def _read_stats(self) -> StatsWindow:
        with db.read_scope() as session:
            return provider_stats(session, self.account)

    def run_preview(self) -> bool:
        settings = self._settings()
        if settings is None:
            return False
        self._show_preview(settings, self._preview(settings))
        return True

    def _preview(self, settings: dict[str, Any]) -> Preview:
        with db.read_scope() as session:
            return preview(session, self.account, days=self.whatif.days.value, account_policy=settings)

    def _show_preview(self, settings: dict[str, Any], result: Preview) -> None:
        same = complete_settings(settings) == self.saved  # a hidden region or provider the strategy drops is no change
        self.whatif.show(result, 'With your saved settings' if same else 'With the settings in the form, not saved yet')

    def preview_clicked(self) -> None:
        if self.run_preview():  # on a phone the preview is below the form: bring it into view
            _scroll_to(self.panel, narrower_than=1024)

    def save(self, button: ui.button) -> Awaitable[None] | None:
        """Check the form at once (the problem shows on its field); settings that would have refused past requests
        ask first; the write goes on in a worker thread."""
        settings = self._settings()
        if settings is None:
            ui.notify('Nothing was saved: check the highlighted field', type='warning')
            return None
        result = self._preview(settings)
        refused, total = result.refused()
        if not refused:
            return self._store(settings, button)
        self._show_preview(settings, result)  # the panel shows what would be refused
        self.confirm_refusals(refusal_text(refused, total, result.days), lambda: self._store(settings, button))
        return None

    async def _store(self, settings: dict[str, Any], button: ui.button) -> None:
        with self.host:  # what follows the write outlives a confirmation dialog closed meanwhile
            try:
                stored, saved = await save(lambda s: set_account_settings(s, self.account, settings), button=button)
            except PolicyError as error:
                message = self.form.show_error(error)
                ui.notify(f'Nothing was saved: {message}', type='negative')
                return
            if not stored:
                return
            self.saved = saved
            ui.notify('Saved: new requests follow these defaults', type='positive')
            self.key_list.refresh()
            self.run_preview()

    def confirm_refusals(self, text: str, store: Callable[[], Awaitable[None]]) -> None:
        """Ask before saving settings that would have refused past requests; Cancel saves nothing."""
        with self._dialog('Save settings that refuse requests?', 'max-w-md') as dialog:
            with ui.row().classes('w-full items-start gap-2 flex-nowrap text-sm').mark('refusal-warning'):
                ui.icon('warning', size='20px').classes('text-amber-700 shrink-0')
                ui.label(text).mark('refusal-text')
            ui.label('Apps get an error for such requests until the settings change again.').classes('text-sm lr-muted')
            with ui.row().classes('w-full justify-end gap-2 pt-2'):
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps').mark('cancel-save')
                confirm = ui.button('Save anyway', on_click=lambda: self._confirmed(dialog, store))
                confirm.props('color=negative unelevated no-caps').mark('confirm-save')

    async def _confirmed(self, dialog: ui.dialog, store: Callable[[], Awaitable[None]]) -> None:
        dialog.close()
        await store()

    # per-key overrides

    @ui.refreshable_method
    def key_list(self) -> None:
        with db.read_scope() as session:
            keys = [k for k in list_keys(session, self.account) if key_status(k) == 'active']
            policies = {k.id: effective(session, self.account, k.id) for k in keys}
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
        with self._dialog(f'Routing override for “{key.name}”', 'max-w-2xl') as dialog:
            ui.label(
                'Untick “inherit” to give this key its own value. Ticked fields follow the account defaults, '
                'now and when they change.'
            ).classes('text-sm lr-muted')
            form = PolicyForm(override, inherited=inherited, on_change=lambda: whatif.mark_stale())
            with ui.column().classes('w-full gap-2 pt-2') as section:
                ui.label('What-if for this key').classes('lr-card-title')
                whatif = WhatIf(self.account, on_days=lambda: show(), compact=True)
            footer = ui.row().classes('w-full justify-end gap-2 py-3 flex-nowrap bg-white border-t border-slate-200')
            with footer.classes('sticky -bottom-5 z-10'):  # the buttons stay in view at the bottom of a long dialog
                ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
                show = lambda: self._key_preview(key, form, whatif, inherited)  # noqa: E731  (True when shown)
                ui.button('Preview', on_click=lambda: show() and _scroll_to(section)).props('outline no-caps').mark(
                    'preview-key'
                )
                save_button = ui.button('Save').props('unelevated no-caps').mark('save-override')
                save_button.on_click(lambda: self._save_override(dialog, key, form, whatif, inherited, save_button))

    @contextmanager
    def _dialog(self, title: str, width: str) -> Iterator[ui.dialog]:
        with self.host:
            dialog = ui.dialog()
        dialog.on_value_change(lambda e: None if e.value else dialog.delete())
        with dialog, ui.card().classes(f'w-full {width} p-5 gap-3'):
            ui.label(title).classes('text-lg font-semibold')
            yield dialog
        dialog.open()

    def _key_preview(self, key: ApiKey, form: PolicyForm, whatif: WhatIf, inherited: dict[str, Any]) -> bool:
        draft = _checked(form, inherited)
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
        draft = _checked(form, inherited)  # at once, like save()
        if draft is None:
            return None
        with db.read_scope() as session:
            result = preview(session, self.account, days=whatif.days.value, key_policies={key.id: draft})
        refused, total = result.refused(key.id)
        store = lambda: self._store_override(dialog, key, form, draft, button)  # noqa: E731
        if not refused:
            return store()
        whatif.show(result, f'All your traffic, with this draft for {key.name} (not saved yet)')
        self.confirm_refusals(refusal_text(refused, total, result.days, key_name=key.name), store)
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
            self.key_list.refresh()

    def confirm_clear(self, key: ApiKey) -> None:
        with self._dialog(f'Clear the override of “{key.name}”?', 'max-w-md') as dialog:
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
        self.key_list.refresh()
