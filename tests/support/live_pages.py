"""Helpers for UI tests of live pages (components/live.py): wait for a refresh, find what is visible."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from nicegui.testing import User


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether `check()` comes true within `timeout` seconds (a page refreshes at most once a second)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def visible(user: User, target: str) -> bool:
    """Whether an element with `target` as its marker or in its text is on the page and visible."""
    try:
        return bool(user.find(target).elements)
    except AssertionError:  # find() raises when nothing (visible) matches
        return False


def text(user: User, marker: str) -> str:
    """The text of the visible element with `marker` ('' when there is none)."""
    try:
        return next(iter(user.find(marker=marker).elements)).text
    except AssertionError:
        return ''
