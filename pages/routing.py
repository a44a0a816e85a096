"""/routing: the account's routing defaults (lowrouter/auto), a what-if preview of a change, and per-key overrides.

The page stays live: settings and keys changed in another tab or through the API show within about a second
(components/routing_live.py); a form with unsaved edits keeps them and says that the settings changed."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from nicegui import background_tasks, run, ui

from components import live
from components.changed_notice import ChangedNotice
from components.route_stats import route_stats_card
from components.routing_form import PolicyForm
from components.routing_live import CHANGED, Routing, read_routing
from components.routing_overrides import KeyOverrides, checked, confirm_refusals, scroll_to
from components.saving import save
from components.shell import frame
from components.whatif import WhatIf, refusal_text
from components.widgets import card
from services import db
from services.models import Account
from services.routing.policies import PolicyError, account_settings, complete_settings, set_account_settings
from services.routing.route_stats import DAYS as STATS_DAYS
from services.routing.route_stats import StatsWindow, provider_stats
from services.routing.whatif import Preview, preview


def _defaults(account: Account) -> dict[str, Any]:
    with db.read_scope() as session:
        return account_settings(session, account)


@ui.page('/routing')
def routing_page() -> None:
    with frame('Auto-routing', active='Auto-routing', live=True) as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        RoutingView(account)


class RoutingView:
    """One visitor's routing page: the defaults form, its what-if preview and the keys' overrides (KeyOverrides)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        data = read_routing(account.id) or Routing(account, _defaults(account), [], {})
        self.saved = data.defaults
        self.saving = False  # while this page stores the defaults, it is the one changing them
        with ui.column().classes('gap-1 max-w-3xl'):
            ui.label('Auto-routing').classes('text-2xl font-semibold')
            ui.label(
                'These rules decide where each request runs: the provider and region, and also the model when an '
                'app asks for lowrouter/auto. Every key follows them unless it has its own override.'
            ).classes('lr-muted text-sm')
        with ui.element('div').classes('w-full grid grid-cols-1 lg:grid-cols-2 gap-4 items-start'):
            with card('Account defaults for lowrouter/auto').mark('defaults'):
                self.notice = ChangedNotice('Load the new settings', 'routing-changed')
                self.notice.load.on_click(self.load_saved)
                self.form = PolicyForm(self.saved, on_change=lambda: self.whatif.mark_stale())
                self.loaded = self.form.shown()  # what the form held when it was loaded: edits differ
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
        self.keys = KeyOverrides(account, data)
        self.host = self.keys.host  # dialogs live there, outside the refreshable key list and the dialogs
        self.run_preview()
        live.watch(account.id, {'routing', 'keys'}, self.live_refresh)

    async def live_refresh(self, tick: live.Tick) -> None:
        account_id = self.account.id
        self.show(await tick.shared(('routing', account_id), lambda: read_routing(account_id)))

    def show(self, data: Routing | None) -> None:
        """Settings and keys as stored now: the defaults form (see load_saved), the key list when it changed, and
        any open override dialog."""
        if data is None or self.form.fields['strategy'].is_deleted:
            return
        if not self.saving and data.defaults != self.saved:
            self.saved = data.defaults
            if self.form.shown() == self.loaded:
                self.load_saved()
            else:
                self.notice.show(
                    CHANGED,
                    'New defaults were saved in another tab or through the API. Your edits here are not saved '
                    'yet: saving them replaces the new defaults, or load the new settings.',
                )
        self.keys.show(data)

    def load_saved(self) -> None:
        """Put the saved defaults in the form (in place), then their preview (read in a worker thread)."""
        self.form.load(self.saved)
        self.loaded = self.form.shown()
        self.notice.hide()
        background_tasks.create(self._preview_saved(), name='routing preview')

    async def _preview_saved(self) -> None:
        settings = self._settings()
        if settings is None:
            return
        result = await run.io_bound(self._preview, settings)
        if not self.form.fields['strategy'].is_deleted and self.form.shown() == self.loaded:  # not edited meanwhile
            self._show_preview(settings, result)

    def _settings(self) -> dict[str, Any] | None:
        """The form's settings, checked and typed; None (with the problem on its field) when they cannot be used."""
        return checked(self.form, {})

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
            scroll_to(self.panel, narrower_than=1024)

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
        confirm_refusals(self.host, refusal_text(refused, total, result.days), lambda: self._store(settings, button))
        return None

    async def _store(self, settings: dict[str, Any], button: ui.button) -> None:
        with self.host:  # what follows the write outlives a confirmation dialog closed meanwhile
            self.saving = True
            try:
                stored, saved = await save(lambda s: set_account_settings(s, self.account, settings), button=button)
            except PolicyError as error:
                message = self.form.show_error(error)
                ui.notify(f'Nothing was saved: {message}', type='negative')
                return
            finally:
                self.saving = False
            if not stored:
                return
            self.saved = saved
            self.loaded = self.form.shown()
            self.notice.hide()
            ui.notify('Saved: new requests follow these defaults', type='positive')
            self.keys.refresh()
            self.run_preview()
