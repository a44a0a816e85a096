"""Writes from pages: committed before the page says anything, and a clear message when they could not be.

A write runs in a worker thread: the event loop, which serves every page and every API request of the
process, never waits for the database's writer lock (on SQLite a writer that waits there could be waiting
for an API request that needs the event loop to finish: both would stall).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from nicegui import background_tasks, run, ui

from services import db
from services.db import Session

T = TypeVar('T')
log = logging.getLogger('lowrouter')
NOT_SAVED = 'Nothing was saved: the database could not store it. Try again in a moment.'


async def save(write: Callable[[Session], T], *, button: ui.button | None = None) -> tuple[bool, T | None]:
    """Run `write` in a write session and commit it: (True, its result) once committed, or (False, None)
    after telling the user nothing was saved, when the database failed (a full disk, say). The services' own
    refusals (invalid input, a key that no longer exists) reach the caller as they are, with nothing stored.
    `button`, the one that asked for the write, waits disabled meanwhile: a second click cannot write twice."""
    try:
        with busy(button):
            return True, await run.io_bound(db.committed, write)
    except db.NotStored as error:
        log.warning('a write from a page was not stored: %s', error)
        ui.notify(NOT_SAVED, type='negative', multi_line=True)
        return False, None


@contextmanager
def busy(button: ui.button | None) -> Iterator[None]:
    """`button` disabled and spinning for the time of the block (a disabled button ignores clicks)."""
    if button is None:
        yield
        return
    button.disable()
    button.props('loading')
    try:
        yield
    finally:
        if not button.is_deleted:
            button.enable()
            button.props(remove='loading')


def in_background(write: Callable[[Session], object]) -> None:
    """Run a write nobody waits for (bookkeeping while a page is built) in a worker thread."""

    async def run_it() -> None:
        try:
            await run.io_bound(db.committed, write)
        except db.NotStored as error:
            log.warning('a background write from a page was not stored: %s', error)

    background_tasks.create(run_it(), name='page write')
