"""The header bell: a badge with the unread count, and a menu with the latest notifications."""

from __future__ import annotations

from nicegui import ui

from components.saving import save
from services import db
from services.account.accounts import current_account
from services.models import Account, Notification
from services.notifications.inbox import latest, mark_all_read, mark_read, unread
from services.timeutil import format_local

SHOWN = 10  # the latest notifications in the menu
POLL = 30.0  # seconds between unread-count checks while a page is open
ICONS = {
    'low_balance': 'account_balance_wallet',
    'receipt': 'receipt',
    'invoice': 'receipt_long',
    'weekly_summary': 'insights',
    'key_limit': 'key',
}
CSS = """
.lr-bell-menu { width: 24rem; max-width: calc(100vw - 16px); }
.lr-bell-item { align-items: flex-start; gap: 10px; padding: 10px 14px; border-top: 1px solid #eaecf0;
  cursor: pointer; }
.lr-bell-item:hover { background: #f4f6f5; }
.lr-bell-unread { background: #eef5f1; }
.lr-bell-unread .lr-bell-title { font-weight: 600; }
.lr-bell-title { font-size: 0.875rem; color: #101828; line-height: 1.25rem; }
.lr-bell-body { font-size: 0.8rem; color: #475467; line-height: 1.15rem; display: -webkit-box;
  -webkit-line-clamp: 3; -webkit-box-orient: vertical; overflow: hidden; }
.lr-bell-dot { width: 8px; height: 8px; border-radius: 9999px; background: #1f6f50; flex-shrink: 0;
  margin-top: 6px; }
"""


def notification_bell() -> None:
    """The bell at the right of the header (nothing before onboarding)."""
    with db.read_scope() as session:
        account = current_account(session)
    if account is not None:
        Bell(account)


class Bell:
    def __init__(self, account: Account) -> None:
        self.account = account
        self.count = -1
        ui.add_css(CSS)
        button = ui.button(icon='notifications').props('flat round dense color=white aria-label="Notifications"')
        with button.classes('ml-auto').mark('bell'):
            self.badge = ui.badge(color='red').props('floating rounded').mark('bell-count')
            with ui.menu().props('anchor="bottom right" self="top right"').classes('lr-bell-menu p-0') as self.menu:
                self.panel()
        self.menu.on_value_change(lambda e: e.value and self.panel.refresh())
        ui.timer(POLL, self._poll)

    def _show_count(self, count: int) -> None:
        self.count = count
        self.badge.set_text('99+' if count > 99 else str(count))
        self.badge.set_visibility(count > 0)

    def _poll(self) -> None:
        with db.read_scope() as session:
            count = unread(session, self.account.id)
        if count != self.count:
            self._show_count(count)
            if not self.menu.value:
                self.panel.refresh()

    @ui.refreshable_method
    def panel(self) -> None:
        with db.read_scope() as session:
            items = latest(session, self.account.id, limit=SHOWN)
            count = unread(session, self.account.id)
        self._show_count(count)
        with ui.row().classes('w-full items-center justify-between px-4 py-2 flex-nowrap'):
            ui.label('Notifications').classes('font-semibold text-slate-800')
            mark_all = ui.button('Mark all read', icon='done_all', on_click=lambda: self._mark_all_read(mark_all))
            mark_all.props('flat dense no-caps size=sm').mark('bell-mark-all-read').set_enabled(count > 0)
        if not items:
            ui.label(
                'Nothing yet. Low balance, receipts, invoices, key limits and your weekly summary show up here.'
            ).classes('text-sm lr-muted px-4 pb-4')
        for item in items:
            self._item(item)
        with ui.row().classes('w-full px-4 py-2 border-t border-slate-200'):
            ui.link('Notification settings', '/settings#notifications').classes('text-sm')

    def _item(self, item: Notification) -> None:
        classes = 'lr-bell-item w-full flex-nowrap' + (' lr-bell-unread' if item.read_at is None else '')
        with ui.row().classes(classes).mark(f'bell-item-{item.id}').on('click', lambda i=item: self._open(i)):
            ui.icon(ICONS.get(item.kind, 'notifications'), size='20px').classes('text-slate-500 shrink-0 mt-0.5')
            with ui.column().classes('gap-0.5 grow min-w-0'):
                ui.label(item.title).classes('lr-bell-title')
                if item.body:
                    ui.label(item.body).classes('lr-bell-body')
                ui.label(format_local(item.created_at, self.account.timezone)).classes('text-xs lr-muted')
            if item.read_at is None:
                ui.element('div').classes('lr-bell-dot').props('aria-label="unread"')

    async def _open(self, item: Notification) -> None:
        stored, _ = await save(lambda session: mark_read(session, self.account.id, item.id))
        if not stored:  # save() said so, in the open panel
            return
        self.menu.close()
        if item.link:
            ui.navigate.to(item.link)
        else:
            self.panel.refresh()

    async def _mark_all_read(self, button: ui.button) -> None:
        stored, _ = await save(lambda session: mark_all_read(session, self.account.id), button=button)
        if stored:
            self.panel.refresh()
