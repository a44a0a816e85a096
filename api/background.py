"""The background loop of each app process: one round of services.delivery_worker every 30 s.

A failing round is logged as a warning and retried on the next one; the loop ends with the app.
"""

from __future__ import annotations

import asyncio
import logging

from nicegui import app, background_tasks, run

from services.delivery_worker import run_once

log = logging.getLogger('lowrouter')
INTERVAL = 30.0  # seconds between rounds
FIRST_ROUND_AFTER = 5.0  # let start-up and the first page loads go first

_task: asyncio.Task | None = None


def start() -> None:
    """Start the loop once per process (for app.on_startup)."""
    global _task
    if _task is None or _task.done():
        _task = background_tasks.create(_loop(), name='lowrouter delivery')


async def _loop() -> None:
    await asyncio.sleep(FIRST_ROUND_AFTER)
    while not (app.is_stopping or app.is_stopped):
        try:
            await run.io_bound(run_once)
        except Exception as error:  # the database or the SMTP server is away: try again next round
            log.warning('notifications round failed, retrying in %.0f s: %s', INTERVAL, error, exc_info=True)
        await asyncio.sleep(INTERVAL)
