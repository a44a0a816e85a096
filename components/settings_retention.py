"""Settings → Data retention: keep every generation, or delete the records older than a number of days."""

from __future__ import annotations

from nicegui import ui

from components.form_errors import show_error
from components.saving import save
from components.widgets import card
from services import db, locales
from services.account.accounts import get_account
from services.models import Account, utcnow
from services.timeutil import format_local
from services.units import count_text
from services.usage.retention import (
    MAX_DAYS,
    RetentionError,
    RetentionStatus,
    cutoff_for,
    due_for_pruning,
    retention_status,
    set_retention,
    validate_days,
)

MODES = {'all': 'Keep every generation', 'days': 'Delete generations older than a number of days'}
CSS = """
.lr-retention-status { border-radius: 8px; padding: 10px 12px; font-size: 0.875rem; align-items: flex-start;
  background: #f2f4f7; color: #344054; }
.lr-retention-days { width: 12rem; margin-left: 40px; }
@media (max-width: 599px) { .lr-retention-days { margin-left: 0; } }
"""


def retention_section(account: Account) -> None:
    with card('Data retention').props('id=retention').classes('lr-retention'):
        RetentionForm(account)


def status_sentences(account: Account, status: RetentionStatus) -> list[str]:
    """What pruning has done and will do, in the account's time zone."""
    zone, loc = account.timezone, locales.of(account)
    sentences = []
    if status.pruned_at is None:
        sentences.append(
            'Nothing has been deleted so far.'
            if status.retention_days is None
            else 'Pruning runs every hour and has not run yet: nothing has been deleted so far.'
        )
    else:
        sentences.append(f'Pruning last ran on {format_local(status.pruned_at, zone)} ({zone}).')
        if status.pruned_before is not None:
            before = format_local(status.pruned_before, zone)
            count = status.pruned_generations
            sentences.append(
                f'Generations recorded before {before} have been deleted ({count_text(count, loc)} in all).'
                if count
                else f'Generations recorded before {before} are deleted; there were none that old.'
            )
    if status.awaiting_pruning:
        sentences.append(
            f'{_generations(status.awaiting_pruning, loc)} older than {status.retention_days} days will be '
            'deleted at the next pruning, within the hour.'
        )
    return sentences


class RetentionForm:
    def __init__(self, account: Account) -> None:
        ui.add_css(CSS)
        self.account = account
        ui.label(
            'lowrouter keeps a record of every generation (model, tokens, cost, energy, carbon and routing trace) '
            'so you can open it from the dashboard. You can have older records deleted.'
        ).classes('text-sm')
        ui.label(
            'Your balance, usage totals, reports, invoices and eco figures do not change: they are kept in hourly and '
            'daily summaries. Prompts and responses are never stored, so there is no content to delete.'
        ).classes('text-sm lr-muted')
        days = account.retention_days
        self.mode = ui.radio(MODES, value='all' if days is None else 'days').props('dense').classes('gap-1')
        self.mode.mark('retention-mode')
        self.days = (
            ui.number('Days to keep', value=days or 90)
            .props(f'outlined dense suffix=days inputmode=numeric hint="1 to {MAX_DAYS:,}"')
            .classes('lr-retention-days')
            .mark('retention-days')
        )
        self.days.bind_visibility_from(self.mode, 'value', value='days')
        self.status()
        self.button = ui.button('Save retention', on_click=self.save).props('no-caps').classes('self-end')
        self.button.mark('save-retention')

    @ui.refreshable_method
    def status(self) -> None:
        with db.read_scope() as session:
            account = get_account(session, self.account.id)
            status = retention_status(session, account)
        with ui.row().classes('lr-retention-status w-full flex-nowrap gap-2'):
            ui.icon('auto_delete' if account.retention_days else 'inventory_2', size='20px').classes('shrink-0')
            ui.label(' '.join(status_sentences(account, status))).mark('retention-status')

    async def save(self) -> None:
        self.days.error = None
        days = None if self.mode.value == 'all' else _whole(self.days.value)
        if self.mode.value == 'days' and days is None:
            self.days.error = f'Enter how many days to keep, from 1 to {MAX_DAYS:,}'
            return
        try:
            validate_days(days)
        except RetentionError as error:
            show_error(error, fallback=self.days, capitalize=True)
            return
        with db.read_scope() as session:
            account = get_account(session, self.account.id)
            due = due_for_pruning(session, account, days)
            due_now = due_for_pruning(session, account, account.retention_days)
        if due > due_now and not await self.confirm(account, days, due):
            return
        try:
            stored, account = await save(lambda session: set_retention(session, self.account, days), button=self.button)
        except RetentionError as error:
            show_error(error, fallback=self.days)
            return
        if not stored:  # save() said so; the form keeps what was typed
            return
        self.account = account
        self.status.refresh()
        ui.notify(
            'Data retention saved: every generation is kept' if days is None else f'Data retention saved: {days} days',
            type='positive',
        )

    async def confirm(self, account: Account, days: int, due: int) -> bool:
        before = format_local(cutoff_for(days, utcnow()), account.timezone)
        with ui.dialog() as dialog, ui.card().classes('lr-card p-5 gap-3 max-w-md'):
            ui.label(f'Delete {_generations(due, locales.of(account))}?').classes('text-lg font-semibold')
            ui.label(
                f'Keeping {days} days deletes the {_generations(due, locales.of(account))} recorded before {before} '
                f'({account.timezone}) at the next pruning, within the hour. Their records cannot be brought back.'
            ).classes('text-sm')
            ui.label('Your balance, usage totals, invoices and eco figures stay exactly as they are.').classes(
                'text-sm lr-muted'
            )
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
                ui.button(f'Keep {days} days', on_click=lambda: dialog.submit(True)).props(
                    'unelevated no-caps color=negative'
                ).mark('confirm-retention')
        answer = await dialog
        dialog.delete()
        return bool(answer)


def _whole(value: float | None) -> int | float | None:
    """The number input gives floats: 30.0 is 30 days; 1.5 stays 1.5 and is refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _generations(count: int, loc: str) -> str:
    return f'{count_text(count, loc)} generation' + ('' if count == 1 else 's')
