"""/settings: profile, eco baseline, notifications, data retention and account deletion, one section each."""

from __future__ import annotations

from nicegui import ui

from components.eco_baseline import eco_baseline_section
from components.settings_deletion import deletion_section
from components.settings_notifications import notifications_section
from components.settings_profile import profile_section
from components.settings_retention import retention_section
from components.shell import frame

SECTIONS = (('profile', 'Profile'), ('eco-baseline', 'Eco baseline'), ('notifications', 'Notifications'))
SECTIONS += (('retention', 'Data retention'), ('delete-account', 'Delete account'))


@ui.page('/settings')
def settings_page() -> None:
    with frame('Settings', active='Settings') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        ui.label('Settings').classes('text-2xl font-semibold')
        with ui.row().classes('gap-3 text-sm max-md:hidden'):
            for anchor, label in SECTIONS:
                ui.link(label, f'#{anchor}')
        profile_section(account)
        eco_baseline_section(account.eco_baseline_model)
        notifications_section(account)
        retention_section(account)
        deletion_section(account)
