"""This process's change bus: `publish` hands {account id: topics} to every subscriber, in the caller's thread.

An account id of None means "any account": published after cross-process events may have been missed (the
channel to the database reconnected), so every page checks again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping

log = logging.getLogger('lowrouter')
Changes = Mapping[int | None, frozenset[str]]
Subscriber = Callable[[Changes], None]

_lock = threading.Lock()
_subscribers: list[Subscriber] = []
_published = 0  # change sets published in this process, for tests and the bench


def subscribe(subscriber: Subscriber) -> Callable[[], None]:
    """Call `subscriber` with every change set from now on; returns the function that stops it."""
    with _lock:
        _subscribers.append(subscriber)

    def unsubscribe() -> None:
        with _lock:
            if subscriber in _subscribers:
                _subscribers.remove(subscriber)

    return unsubscribe


def publish(changes: Changes) -> None:
    """Tell every subscriber; a subscriber that fails is logged and the others are still told."""
    global _published
    if not changes:
        return
    with _lock:
        subscribers = list(_subscribers)
        _published += 1
    for subscriber in subscribers:
        try:
            subscriber(changes)
        except Exception:  # a page's trouble must never fail the write that committed
            log.exception('a live-update subscriber failed')


def published() -> int:
    return _published
