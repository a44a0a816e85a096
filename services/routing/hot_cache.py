"""What the router reads on every request, kept in memory for a moment: the key, its account, the policy in
force and the credit balance.

Each entry lives at most TTL_S. A commit in this process that changes keys, accounts, routing policies or the
ledger empties the cache at once (a revoked key is refused by the next request, a top-up counts at once);
another process's change is seen within TTL_S. The key's status (expired, revoked) is checked again at every
use. What is cached is only ever read: never change an object taken from here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

TTL_S = 1.0
WATCHED = frozenset({'api_key', 'account', 'routing_policy', 'ledger_entry'})
T = TypeVar('T')

_entries: dict[tuple, tuple[float, Any]] = {}
_lock = threading.Lock()
_epoch = 0  # bumped by every clear: a value computed before a clear is not stored after it


MISSING = object()


def peek(key: tuple) -> Any:
    """The cached value for `key`, or MISSING (never computes: safe in the event loop)."""
    found = _entries.get(key)
    return found[1] if found is not None and found[0] > time.monotonic() else MISSING


def get(key: tuple, compute: Callable[[], T]) -> T:
    """The cached value for `key`, or `compute()` stored for TTL_S."""
    now = time.monotonic()
    found = _entries.get(key)
    if found is not None and found[0] > now:
        return found[1]
    epoch = _epoch
    value = compute()
    with _lock:
        if epoch == _epoch:
            _entries[key] = (now + TTL_S, value)
    return value


def clear() -> None:
    global _epoch
    with _lock:
        _epoch += 1
        _entries.clear()


def _tables_of(objects) -> set[str]:
    return {getattr(type(o), '__tablename__', '') for o in objects}


@event.listens_for(Session, 'before_flush')
def _flushing(session: Session, _context, _instances) -> None:
    if WATCHED & _tables_of([*session.new, *session.dirty, *session.deleted]):
        session.info['hot_cache_stale'] = True


@event.listens_for(Session, 'do_orm_execute')
def _executing(state: ORMExecuteState) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        table = getattr(state.statement, 'table', None)
        if getattr(table, 'name', None) in WATCHED:
            state.session.info['hot_cache_stale'] = True


@event.listens_for(Session, 'after_commit')
def _committed(session: Session) -> None:
    if session.info.pop('hot_cache_stale', False):
        clear()


@event.listens_for(Session, 'after_rollback')
def _rolled_back(session: Session) -> None:
    session.info.pop('hot_cache_stale', None)
