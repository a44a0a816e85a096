"""Settings → Delete account: download the full export first, then delete everything after two confirmations."""

from __future__ import annotations

from nicegui import ui

from components.saving import save
from components.widgets import card
from services import db
from services.account.accounts import current_account
from services.account.deletion import AccountDeletionError, check_confirmation, delete_account
from services.models import Account

DELETED = (
    ('query_stats', 'every generation and its hourly usage rollups'),
    ('key', 'every API key (apps using them stop working at once)'),
    ('account_balance_wallet', 'every top-up, receipt and invoice, and the credit balance'),
    ('notifications', 'every notification and every e-mail still waiting in the queue'),
    ('alt_route', 'the auto-routing policy, per-key overrides and every setting on this page'),
)
CSS = """
.lr-danger-card { border: 1px solid #f3c7c2; }
.lr-danger-card .lr-card-title { color: #912018; }
.lr-danger-step { border-top: 1px solid #eaecf0; padding-top: 12px; }
"""


def deletion_section(account: Account) -> None:
    DeletionSection(account)


class DeletionSection:
    def __init__(self, account: Account) -> None:
        self.account = account
        ui.add_css(CSS)
        self.root = card('Delete account').props('id=delete-account').classes('lr-danger-card gap-3')
        with self.root:
            ui.label(f'Deleting “{account.name}” removes everything lowrouter holds for it, in one step:').classes(
                'text-sm'
            )
            with ui.column().classes('gap-1 pl-1'):
                for icon, text in DELETED:
                    with ui.row().classes('items-start gap-2 flex-nowrap text-sm'):
                        ui.icon(icon, size='18px').classes('lr-muted shrink-0 mt-px')
                        ui.label(text)
            with ui.row().classes('items-center gap-2 flex-nowrap text-sm font-medium text-red-800'):
                ui.icon('warning', size='18px').classes('shrink-0')
                ui.label('This cannot be undone. Download the full export first if you may need any of it.')

            with ui.column().classes('lr-danger-step w-full gap-2'):
                ui.label('1. Keep a copy').classes('font-medium')
                ui.label(
                    'One ZIP with every generation (CSV), every receipt and invoice (PDF) and your settings and '
                    'key details (JSON, without secrets).'
                ).classes('text-sm lr-muted')
                self.export_button = (
                    ui.button('Download full export (ZIP)', icon='download', on_click=self.download)
                    .props('outline no-caps')
                    .classes('self-start')
                    .mark('export-account')
                )

            with ui.column().classes('lr-danger-step w-full gap-2'):
                ui.label('2. Delete').classes('font-medium')
                with ui.row().classes('items-baseline gap-x-1 gap-y-0 text-sm'):
                    ui.label('To confirm, type the account name').classes('lr-muted')
                    ui.label(account.name).classes('font-semibold text-slate-900 break-all').mark('account-name')
                with ui.row().classes('w-full items-start gap-3 max-sm:flex-col'):
                    self.name_input = (
                        ui.input('Type the account name to confirm')
                        .props('outlined dense autocomplete=off spellcheck=false')
                        .classes('grow min-w-[14rem] max-w-md max-sm:w-full max-sm:max-w-none')
                        .mark('confirm-name')
                    )
                    self.name_input.on('update:model-value', lambda: setattr(self.name_input, 'error', None))
                    ui.button('Delete account', icon='delete_forever', on_click=self.confirm).props(
                        'color=negative unelevated no-caps'
                    ).classes('mt-1 max-sm:mt-0 shrink-0').mark('delete-account')

    def download(self) -> None:
        """The browser downloads the ZIP from the server as it is written (api/page_downloads.py)."""
        with db.read_scope() as session:
            account = current_account(session)
        if account is None or account.id != self.account.id:  # deleted meanwhile, e.g. from another tab
            ui.navigate.to('/welcome')
            return
        ui.download.from_url('/settings/export.zip')

    def confirm(self) -> None:
        typed = self.name_input.value or ''
        try:
            with db.read_scope() as session:
                account = check_confirmation(session, self.account.id, typed)
        except AccountDeletionError as error:
            self._refused(error)
            return
        self.name_input.error = None
        with ui.dialog() as dialog, ui.card().classes('max-w-md'):
            ui.label(f'Delete “{account.name}” for good?').classes('text-lg font-semibold')
            ui.label(
                'Every generation, key, top-up, receipt, invoice, notification and setting of this account is '
                'deleted now. Apps using its keys stop working. This cannot be undone.'
            )
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Keep the account', on_click=dialog.close).props('flat no-caps')
                final = (
                    ui.button('Delete everything', on_click=lambda: self.delete(dialog, final, typed))
                    .props('color=negative unelevated no-caps')
                    .mark('confirm-delete')
                )
        dialog.on_value_change(lambda e: None if e.value else dialog.delete())  # closed: gone, not hidden
        dialog.open()

    async def delete(self, dialog: ui.dialog, button: ui.button, typed: str) -> None:
        dialog.props('persistent')  # the dialog stays until the deletion has ended (a second click waits too)
        try:
            stored, _ = await save(lambda session: delete_account(session, self.account.id, typed), button=button)
        except AccountDeletionError as error:
            with self.root:  # the dialog (and its slot) is deleted once closed
                dialog.close()
                self._refused(error)
            return
        if not stored:  # save() said so: nothing was deleted, and the dialog stays for a retry (or to keep)
            dialog.props(remove='persistent')
            return
        with self.root:
            dialog.close()
            ui.navigate.to('/welcome')

    def _refused(self, error: AccountDeletionError) -> None:
        if error.field == 'account':  # already deleted, e.g. from another tab
            ui.navigate.to('/welcome')
        else:  # short enough for one line under the field on a phone; the name is shown just above
            self.name_input.error = 'That is not the account name.'
