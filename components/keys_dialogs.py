"""The dialogs of /keys: create and edit, the once-shown secret, rotate, revoke and bulk actions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

from nicegui import ui

from components.changed_notice import ChangedNotice
from components.form_errors import show_error
from components.key_edit_live import OpenEdit
from components.key_form import KeyForm, limit_value, sentence
from components.safe import set_error, set_props
from components.saving import save
from services import db
from services.keys.api_keys import (
    GRACE_PERIODS,
    SCOPES,
    KeyInputError,
    KeyNotFound,
    bulk_update,
    create_key,
    get_key,
    key_status,
    revoke_key,
    rotate_key,
    update_key,
)
from services.models import Account, ApiKey
from services.money import MoneyError, currency_symbol
from services.timeutil import format_local

SCOPE_HELP = {
    'inference': 'call models through the router',
    'ingest': 'record generations',
    'read': 'read usage, generations and the model list',
    'manage': 'manage keys and account settings',
}
GRACE_LABELS = {
    'none': 'Right away: the old secret stops working now',
    '1h': 'In 1 hour: both secrets work until then',
    '24h': 'In 24 hours: both secrets work until then',
}
LIMIT_HELP = 'Enter an amount like 25.00, or leave it empty for no limit'
BULK = {  # action: (dialog title, confirm button)
    'revoke': ('Revoke {n} {noun}?', 'Revoke {n} {noun}'),
    'add_scope': ('Add a scope to {n} {noun}', 'Add scope'),
    'remove_scope': ('Remove a scope from {n} {noun}', 'Remove scope'),
    'set_limit': ('Set the monthly limit of {n} {noun}', 'Set limit'),
}


class KeyDialogs:
    """Every dialog of the keys page. They open inside `host` (which outlives list refreshes), leave the page
    when closed, and call `on_change` after anything was written."""

    def __init__(self, account: Account, host: ui.element, on_change: Callable[[], None]) -> None:
        self.account = account
        self.host = host
        self.on_change = on_change
        self.edits: list[OpenEdit] = []  # open edit dialogs, told when their key changes elsewhere

    def changed_elsewhere(self, keys: dict[int, ApiKey]) -> None:
        """The keys as stored now (a live refresh of the page): open edit dialogs follow them, never closing."""
        for edit in list(self.edits):
            edit.compare(keys.get(edit.key.id))

    @contextmanager
    def _box(self, title: str, *, width: str = 'max-w-lg', persistent: bool = False) -> Iterator[ui.dialog]:
        with self.host:
            dialog = ui.dialog().props('persistent' if persistent else '')
        dialog.on_value_change(lambda e: None if e.value else dialog.delete())
        with dialog, ui.card().classes(f'w-full {width} gap-3 p-5'):
            ui.label(title).classes('text-lg font-semibold')
            yield dialog
        dialog.open()

    def _load(self, key_id: int) -> ApiKey | None:
        try:
            with db.read_scope() as session:
                return get_key(session, self.account, key_id)
        except KeyNotFound:
            self._gone()
            return None

    def _gone(self, dialog: ui.dialog | None = None) -> None:
        ui.notify('That key no longer exists', type='warning')
        if dialog is not None:
            dialog.close()
        self.on_change()

    # create and edit

    def create(self) -> None:
        self._form(None)

    def edit(self, key_id: int) -> None:
        if key := self._load(key_id):
            self._form(key)

    def _form(self, key: ApiKey | None) -> None:
        with self._box(f'Edit “{key.name}”' if key else 'Create a key') as dialog:
            notice = ChangedNotice('Load the new values', 'key-changed') if key else None
            form = KeyForm(self.account, key)
            label = 'Save changes' if key else 'Create key'
            _buttons(dialog, label, lambda button: self._save(dialog, form, key, button), 'submit-key')
        if key is not None and notice is not None:
            edit = OpenEdit(key, form, notice)
            self.edits.append(edit)
            dialog.on_value_change(lambda e: None if e.value or edit not in self.edits else self.edits.remove(edit))

    async def _save(self, dialog: ui.dialog, form: KeyForm, key: ApiKey | None, button: ui.button) -> None:
        fields = form.values(editing=key is not None)
        if fields is None:
            return
        try:
            if key is None:
                stored, new = await save(lambda session: create_key(session, self.account, **fields), button=button)
            else:
                stored, _ = await save(
                    lambda session: update_key(session, self.account, key.id, **fields), button=button
                )
        except KeyInputError as error:
            if not form.show_error(error.field, error.message):
                ui.notify(sentence(error.message), type='negative')
            return
        except KeyNotFound:
            self._gone(dialog)
            return
        if not stored:  # save() said so; the dialog stays as it was for a retry
            return
        dialog.close()
        self.on_change()
        if key is None:
            self.show_secret(f'Your new key “{new.key.name}”', new.secret)
        else:
            with self.host:  # the dialog (and its slot) is gone by now
                ui.notify(f'Saved the changes to “{fields["name"]}”', type='positive')

    # the secret, shown once

    def show_secret(self, title: str, secret: str, note: str | None = None) -> None:
        # Persistent: only the Done button closes it, and closing deletes it, so the secret leaves the page
        # and the server's element tree for good.
        with self._box(title, width='max-w-xl lr-secret-dialog', persistent=True) as dialog:
            with ui.row().classes('w-full flex-nowrap items-start gap-2 rounded-lg p-3 bg-amber-50 text-amber-900'):
                ui.icon('warning', size='20px').classes('shrink-0 text-amber-700')
                ui.label(
                    'Copy this secret now: it will not be shown again. lowrouter keeps only a fingerprint of it, '
                    'so nobody can look it up later. If you lose it, rotate the key.'
                ).classes('text-sm')
            ui.label(secret).classes(
                'w-full font-mono text-sm break-all select-all rounded-lg p-3 bg-slate-100 text-slate-900'
            ).mark('secret')
            ui.label('Apps send it in the Authorization header: Bearer followed by the secret.').classes(
                'text-xs lr-muted'
            )
            if note:
                ui.label(note).classes('text-sm')
            with ui.row().classes('w-full justify-end gap-2 pt-1'):
                ui.button('Copy secret', icon='content_copy', on_click=lambda: _copy(secret)).props(
                    'outline no-caps'
                ).mark('copy-secret')
                ui.button('Done, I have saved it', on_click=dialog.close).props('no-caps unelevated').mark(
                    'secret-done'
                )

    # rotate and revoke

    def rotate(self, key_id: int) -> None:
        key = self._load(key_id)
        if key is None:
            return
        with self._box(f'Rotate “{key.name}”') as dialog:
            ui.label(
                'The key gets a new secret. Its name, scopes, limit and usage history stay the same. '
                'When should the old secret stop working?'
            ).classes('text-sm')
            grace = ui.radio({g: GRACE_LABELS.get(g, g) for g in GRACE_PERIODS}, value='none').props('dense')
            grace.classes('flex flex-col gap-2').mark('grace')
            if key_status(key) == 'expired':
                ui.label('This key has expired: extend its expiry with Edit, or the new secret will not work.').classes(
                    'text-sm text-amber-800'
                )
            rotate = lambda button: self._rotate(dialog, key, grace.value, button)  # noqa: E731
            _buttons(dialog, 'Rotate key', rotate, 'confirm-rotate')

    async def _rotate(self, dialog: ui.dialog, key: ApiKey, grace: str, button: ui.button) -> None:
        try:
            stored, new = await save(
                lambda session: rotate_key(session, self.account, key.id, grace=grace), button=button
            )
        except KeyInputError as error:
            show_error(error, capitalize=True)
            return
        except KeyNotFound:
            self._gone(dialog)
            return
        if not stored:
            return
        dialog.close()
        self.on_change()
        zone, until = self.account.timezone, new.key.previous_secret_valid_until
        note = f'The old secret keeps working until {format_local(until, zone)} ({zone}).' if until else None
        self.show_secret(f'New secret for “{key.name}”', new.secret, note or 'The old secret has stopped working.')

    def revoke(self, key_id: int) -> None:
        key = self._load(key_id)
        if key is None:
            return
        with self._box(f'Revoke “{key.name}”?', width='max-w-md') as dialog:
            ui.label(
                f'Apps using this key ({key.prefix}…) will be refused from now on. The key stays in the list with '
                'its usage history. This cannot be undone.'
            ).classes('text-sm')
            revoke = lambda button: self._revoke(dialog, key, button)  # noqa: E731
            _buttons(dialog, 'Revoke key', revoke, 'confirm-revoke', danger=True)

    async def _revoke(self, dialog: ui.dialog, key: ApiKey, button: ui.button) -> None:
        try:
            stored, _ = await save(lambda session: revoke_key(session, self.account, key.id), button=button)
        except KeyNotFound:
            self._gone(dialog)
            return
        if not stored:
            return
        ui.notify(f'Revoked “{key.name}”', type='positive')
        dialog.close()
        self.on_change()

    # bulk

    def bulk(self, action: str, keys: list[dict]) -> None:
        """One confirmation for `action` on the selected rows (dicts with 'id' and 'name')."""
        title, button = (text.format(n=len(keys), noun='key' if len(keys) == 1 else 'keys') for text in BULK[action])
        with self._box(title, width='max-w-md') as dialog:
            ui.label(', '.join(k['name'] for k in keys)).classes('text-sm lr-muted break-words')
            field: ui.select | ui.input | None = None
            if action == 'revoke':
                ui.label('Apps using these keys will be refused from now on. This cannot be undone.').classes('text-sm')
            elif action in ('add_scope', 'remove_scope'):
                options = {s: f'{s}: {SCOPE_HELP.get(s, "")}' for s in SCOPES}
                field = ui.select(options, label='Scope').props('outlined dense').classes('w-full').mark('bulk-scope')
            else:
                symbol, currency = currency_symbol(self.account.currency), self.account.currency
                field = ui.input('Monthly spend limit').classes('w-full').mark('bulk-limit')
                set_props(field.props('outlined dense'), prefix=symbol, suffix=f'{currency} a month', hint=LIMIT_HELP)
            ui.label('Either every selected key changes, or none does.').classes('text-xs lr-muted')
            ids = [k['id'] for k in keys]
            confirm = lambda sender: self._bulk(dialog, action, ids, field, sender)  # noqa: E731
            _buttons(dialog, button, confirm, 'confirm-bulk', danger=action == 'revoke')

    async def _bulk(
        self, dialog: ui.dialog, action: str, key_ids: list[int], field: ui.select | ui.input | None, button: ui.button
    ) -> None:
        value = None
        if isinstance(field, ui.select):
            if not field.value:
                set_error(field, 'Choose a scope')
                return
            value = field.value
        elif isinstance(field, ui.input):
            try:
                value = limit_value(field.value)
            except MoneyError:
                set_error(field, LIMIT_HELP)
                return
        try:
            stored, changed = await save(
                lambda session: bulk_update(session, self.account, key_ids, action, value), button=button
            )
        except KeyInputError as error:
            ui.notify(f'Nothing was changed: {error.message}', type='negative', multi_line=True)
            return
        except KeyNotFound:
            ui.notify('Nothing was changed: one of the keys no longer exists', type='negative')
            dialog.close()
            self.on_change()
            return
        if not stored:
            return
        dialog.close()
        verb = 'Revoked' if action == 'revoke' else 'Updated'
        with self.host:  # the dialog (and its slot) is gone by now
            ui.notify(f'{verb} {changed} {"key" if changed == 1 else "keys"}', type='positive')
        self.on_change()


def _buttons(
    dialog: ui.dialog,
    label: str,
    on_click: Callable[[ui.button], Awaitable[None]],
    marker: str,
    *,
    danger: bool = False,
) -> None:
    """Cancel, and the dialog's action, which gets its own button (to wait disabled while it saves)."""
    with ui.row().classes('w-full justify-end gap-2 pt-2'):
        ui.button('Cancel', on_click=dialog.close).props('flat no-caps')
        colour = 'color=negative ' if danger else ''
        action = ui.button(label).props(f'{colour}no-caps unelevated').mark(marker)
        action.on_click(lambda: on_click(action))


def _copy(secret: str) -> None:
    ui.clipboard.write(secret)
    ui.notify('Secret copied to the clipboard', type='positive', position='top')
