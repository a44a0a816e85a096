"""The page shell every page uses: header with navigation (a hamburger under 1024 px) and the demo banner."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from components import theme
from components.bell import notification_bell
from components.live import live_mark
from components.saving import save
from services import db
from services.account.accounts import current_account, remove_demo_data
from services.account.auth import login_config
from services.models import Account

NAV = (
    ('Dashboard', '/dashboard', 'space_dashboard'),
    ('Usage', '/usage', 'bar_chart'),
    ('Logs', '/logs', 'list_alt'),
    ('Keys', '/keys', 'key'),
    ('Credits', '/credits', 'account_balance_wallet'),
    ('Invoices', '/invoices', 'receipt_long'),
    ('Auto-routing', '/routing', 'alt_route'),
    ('Settings', '/settings', 'settings'),
)


@contextmanager
def frame(title: str, *, active: str, live: bool = False) -> Iterator[Account | None]:
    """Lay out the shell and yield the account (None before onboarding) for the page's own content. A `live`
    page (one that updates by itself) shows in the header whether it is connected."""
    theme.apply()
    with db.read_scope() as session:
        account = current_account(session)
    ui.page_title(f'{title} · lowrouter')
    drawer = _drawer(active)
    _header(active, drawer, live=live and account is not None)
    with ui.column().classes('w-full max-w-screen-xl mx-auto px-3 py-2 sm:px-6 sm:py-3 gap-4'):
        if account is not None and account.is_demo:
            _demo_banner()
        yield account


def _header(active: str, drawer: ui.left_drawer, *, live: bool) -> None:
    with ui.header(elevated=False).classes('lr-header items-center px-3 sm:px-6 py-2 gap-2'):
        ui.button(icon='menu', on_click=drawer.toggle).props('flat round dense color=white aria-label="Menu"').classes(
            'lg:hidden'
        )
        with ui.link(target='/dashboard').classes('flex items-center gap-2 no-underline text-white mr-4'):
            ui.icon('eco', size='26px')
            ui.label('lowrouter').classes('text-xl font-semibold tracking-tight')
        with ui.row().classes('gap-1 max-lg:hidden'):
            for label, target, icon in NAV:
                classes = 'lr-nav-link' + (' lr-nav-active' if label == active else '')
                with ui.link(target=target).classes(classes):
                    ui.icon(icon, size='18px')
                    ui.label(label)
        ui.space()
        if live:
            live_mark()
        notification_bell()
        if login_config().enabled:
            with ui.element('form').props('method=post action=/logout').classes('m-0'):  # a post: a link cannot
                ui.button(icon='logout').props(  # sign anyone out, and the cookie is not sent cross-site
                    'type=submit flat round dense color=white aria-label="Sign out"'
                ).tooltip('Sign out').mark('sign-out')


def _drawer(active: str) -> ui.left_drawer:
    drawer = ui.left_drawer(value=False, bordered=True).props('overlay breakpoint=1024').classes('bg-white p-0')
    with drawer, ui.list().classes('w-full pt-2'):
        for label, target, icon in NAV:
            with ui.item(on_click=lambda t=target: ui.navigate.to(t)).classes(
                'lr-drawer-item' + (' lr-drawer-active' if label == active else '')
            ):
                with ui.item_section().props('avatar'):
                    ui.icon(icon)
                ui.item_section(label)
    return drawer


def _demo_banner() -> None:
    with ui.card().classes('lr-demo-banner w-full flex-row items-center gap-3 p-3 flex-nowrap'):
        ui.icon('science', size='24px').classes('text-amber-800 shrink-0')
        ui.label(
            'Demo data: this account shows generated sample history so you can look around. '
            'Nothing here was really spent.'
        ).classes('text-amber-900 grow')
        ui.button('Start fresh', on_click=_confirm_start_fresh).props('outline color=brown-8 no-caps').classes(
            'shrink-0'
        )


def _confirm_start_fresh() -> None:
    with ui.dialog() as dialog, ui.card().classes('max-w-md'):
        ui.label('Remove all demo data?').classes('text-lg font-semibold')
        ui.label(
            'Every demo generation, key, top-up and setting will be deleted. You will then set up your own '
            'account. This cannot be undone.'
        )
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('Keep the demo', on_click=dialog.close).props('flat no-caps')
            remove = ui.button('Delete demo data', on_click=lambda: _start_fresh(dialog, remove))
            remove.props('color=negative no-caps').mark('confirm-start-fresh')
    dialog.on_value_change(lambda e: None if e.value else dialog.delete())  # closed dialogs do not pile up
    dialog.open()


async def _start_fresh(dialog: ui.dialog, button: ui.button) -> None:
    stored, _ = await save(remove_demo_data, button=button)
    if not stored:  # save() said so: the demo stays, and so does the dialog
        return
    ui.navigate.to('/welcome')  # before closing: closing deletes the dialog this handler belongs to
    dialog.close()
