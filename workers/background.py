"""The background loops of each app process: one round of workers.delivery every 30 s, and pruning of
raw generations under each account's data-retention setting every hour.

A failing round is logged as a warning and retried on the next one; the loops end with the app. Both are safe
with several processes on one database: delivery is deduplicated there, and pruning skips rows another process
is deleting (deleting a deleted row does nothing).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from nicegui import app, background_tasks, run

from services.usage.retention import prune_all
from workers.delivery import run_once

log = logging.getLogger('lowrouter')
INTERVAL = 30.0  # seconds between delivery rounds
FIRST_ROUND_AFTER = 5.0  # let start-up and the first page loads go first
PRUNE_INTERVAL = 3600.0  # seconds between pruning rounds
FIRST_PRUNE_AFTER = 60.0

_tasks: dict[str, asyncio.Task] = {}


def start() -> None:
    """Start the loops once per process (for app.on_startup)."""
    for name, work, first, interval in (
        ('notifications', run_once, FIRST_ROUND_AFTER, INTERVAL),
        ('pruning', prune_round, FIRST_PRUNE_AFTER, PRUNE_INTERVAL),
    ):
        task = _tasks.get(name)
        if task is None or task.done():
            _tasks[name] = background_tasks.create(_loop(name, work, first, interval), name=f'lowrouter {name}')


def prune_round() -> int:
    """Prune every account with a retention setting; returns how many generations were deleted."""
    deleted = 0
    for result in prune_all():
        deleted += result.deleted
        if result.deleted:
            log.info('retention: deleted %d generations of account %d', result.deleted, result.account_id)
    return deleted


async def _loop(name: str, work: Callable[[], object], first: float, interval: float) -> None:
    await asyncio.sleep(first)
    while not (app.is_stopping or app.is_stopped):
        try:
            await run.io_bound(work)
        except Exception as error:  # the database or the SMTP server is away: try again next round
            log.warning('%s round failed, retrying in %.0f s: %s', name, interval, error, exc_info=True)
        await asyncio.sleep(interval)
