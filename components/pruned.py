"""The detail page of a generation deleted under the data-retention setting: what happened, and what remains."""

from __future__ import annotations

from nicegui import ui

from services.models import Account
from services.timeutil import format_local
from services.usage.generation_ids import recorded_at


def pruned_notice(account: Account, generation_id: str) -> None:
    zone = account.timezone
    ran = format_local(account.pruned_at, zone)
    before = format_local(account.pruned_before, zone) if account.pruned_before else ran
    recorded = recorded_at(generation_id)
    with ui.card().classes('lr-card w-full max-w-2xl p-6 gap-3 lr-pruned'):
        ui.icon('auto_delete', size='40px').classes('text-slate-400')
        ui.label('Deleted under your data-retention setting').classes('text-xl font-semibold')
        ui.label(generation_id).classes('font-mono text-sm bg-slate-50 border rounded px-2 py-1 break-all')
        if recorded is not None:
            ui.label(f'This generation was recorded on {format_local(recorded, zone)} ({zone}).').classes('text-sm')
        if account.retention_days:
            setting = (
                f'This account keeps generations for {account.retention_days} days. Pruning on {ran} deleted the '
                f'ones recorded before {before}, this one among them.'
            )
        else:
            setting = (
                f'Pruning on {ran} deleted the generations recorded before {before} under the data-retention setting '
                'in force then, this one among them. Every generation is kept now.'
            )
        ui.label(setting).classes('text-sm').mark('pruned-setting')
        with ui.row().classes('items-start gap-2 flex-nowrap text-sm rounded-lg p-3 bg-emerald-50 text-emerald-900'):
            ui.icon('check_circle', size='20px').classes('shrink-0')
            ui.label(
                'Its cost, tokens, energy and carbon still count in your balance, usage totals, reports and '
                "invoices. Only this request's own record (model, provider, region, latency, routing trace) is gone."
            ).mark('pruned-totals')
        ui.label('Prompt and response content was never stored, so none was kept anyway.').classes('text-sm lr-muted')
        with ui.row().classes('gap-2 pt-1'):
            ui.button('Back to the dashboard', on_click=lambda: ui.navigate.to('/dashboard')).props('no-caps')
            ui.button('Data retention settings', on_click=lambda: ui.navigate.to('/settings#retention')).props(
                'outline no-caps'
            )
