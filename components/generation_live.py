"""The transaction page of a generation not recorded yet: "in progress", then the full record by itself.

A streamed generation's id reaches the client at the stream's start, but the record is stored when the stream
ends (services/routing/in_flight.py). Its page says so and watches the account's usage (components/live.py):
once the record is stored it takes the place of the notice, without a reload. A quiet check now and then
also catches a stream that ended without a record (the notice then turns into "not found").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nicegui import run, ui

from components import live
from services import db
from services.account.accounts import get_account
from services.models import Account, Generation
from services.routing.in_flight import InProgress, in_progress
from services.timeutil import format_local
from services.usage.retention import was_pruned
from services.usage.totals import get_generation, key_name

CHECK_S = 15.0  # seconds between checks while waiting, besides the refresh after each recorded generation


@dataclass(frozen=True)
class Found:
    """What the page of `generation_id` shows: the record, a pruned one, one in progress, or nothing."""

    account: Account
    generation: Generation | None = None
    key: str | None = None
    pruned: bool = False
    waiting: InProgress | None = None

    @property
    def state(self) -> str:
        if self.generation is not None:
            return 'record'
        return 'pruned' if self.pruned else 'waiting' if self.waiting else 'missing'


def find_generation(account_id: int, generation_id: str) -> Found | None:
    """The generation of the account as the page shows it; None when the account is gone."""
    with db.read_scope() as session:
        account = get_account(session, account_id)
        if account is None:
            return None
        generation = get_generation(session, account.id, generation_id)
        if generation is not None:
            return Found(account, generation, key_name(session, generation.api_key_id))
        if was_pruned(account, generation_id, session=session):
            return Found(account, pruned=True)
        return Found(account, waiting=in_progress(session, account.id, generation_id))


class LiveGeneration:
    """The page's content for `found`, drawn by `draw`; while the generation is in progress, kept up to date."""

    def __init__(self, generation_id: str, found: Found, draw: Callable[[Found], None]) -> None:
        self.generation_id, self.account_id, self.draw = generation_id, found.account.id, draw
        self.state = found.state
        self.box = ui.column().classes('w-full gap-4 p-0 lr-generation-content')
        with self.box:
            draw(found)
        self.timer: ui.timer | None = None
        if self.state == 'waiting':
            live.watch(self.account_id, {'usage'}, self.refresh)
            self.timer = ui.timer(CHECK_S, self.check)

    async def refresh(self, tick: live.Tick) -> None:
        if self.state != 'waiting':
            return
        account_id, generation_id = self.account_id, self.generation_id
        found = await tick.shared(('generation', account_id, generation_id), lambda: self._read())
        self.show(found)

    async def check(self) -> None:
        if self.state == 'waiting' and not self.box.is_deleted:
            self.show(await run.io_bound(self._read))

    def _read(self) -> Found | None:
        return find_generation(self.account_id, self.generation_id)

    def show(self, found: Found | None) -> None:
        """Draw `found` in place when it is no longer "in progress" (one update: no empty moment)."""
        if found is None or self.box.is_deleted or found.state == self.state:
            return
        self.state = found.state
        if self.timer is not None:
            self.timer.deactivate()
        self.box.clear()
        with self.box:
            self.draw(found)


def in_progress_card(account: Account, waiting: InProgress) -> None:
    zone = account.timezone
    with ui.card().classes('lr-card w-full max-w-2xl p-6 gap-3 lr-in-progress').mark('in-progress'):
        with ui.row().classes('items-center gap-3 flex-nowrap'):
            ui.spinner(size='32px').classes('shrink-0')
            ui.label('Generation in progress').classes('text-xl font-semibold')
        ui.label(waiting.generation_id).classes('font-mono text-sm bg-slate-50 border rounded px-2 py-1 break-all')
        ui.label(
            f'This generation started on {format_local(waiting.started_at, zone, seconds=True)} ({zone}) and is '
            'not recorded yet: a streamed generation is recorded when its stream ends.'
        ).classes('text-sm')
        ui.label(
            'Its tokens, cost, energy and carbon and its routing trace show here by themselves once it is '
            'recorded; there is no need to reload.'
        ).classes('text-sm lr-muted').props('role=status aria-live=polite')
