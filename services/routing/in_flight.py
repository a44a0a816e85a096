"""Streamed generations still in progress, for the transaction page.

A streamed request gets its generation id at its start (a response header), but its record is stored only
when the stream ends. Meanwhile the id is real and its page should say "in progress", not "not found".

- Streams relayed by this process are registered here (api/chat_stream.py: from the first byte until the
  outcome is journalled), with their account. A stream that ended counts until its record is stored (the
  recorder stores it a moment later), for at most GRACE_S.
- On SQLite the app is one process (see services/live), so this registry knows every stream. On PostgreSQL
  several processes may serve the router, and their streams are not known here: an id issued within the last
  WINDOW (ids carry their creation time) whose record is not stored yet is taken to be in progress too; after
  that it is "not found", as an unknown id always was.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from services.models import Generation
from services.usage.generation_ids import recorded_at

WINDOW = timedelta(minutes=10)  # an unknown recent id: presumed streaming in another process this long
SKEW = timedelta(seconds=30)  # clocks of processes (and hosts) that issued ids may differ a little
GRACE_S = 60.0  # seconds an ended stream counts as in progress while its record is not stored
FORGET_S = 6 * 3600.0  # a registration this old is dropped (a relay that never finished, which should not happen)


@dataclass
class _Stream:
    account_id: int
    began: float  # time.monotonic()
    ended: float | None = None


@dataclass(frozen=True)
class InProgress:
    generation_id: str
    started_at: datetime  # UTC, from the id
    here: bool  # relayed by this process (certain); False: presumed from the id's time


_lock = threading.Lock()
_streams: dict[str, _Stream] = {}


def begin(generation_id: str, account_id: int) -> None:
    """A stream of this process started (its id already went to the client)."""
    now = time.monotonic()
    with _lock:
        for gone in [g for g, s in _streams.items() if _expired(s, now)]:
            del _streams[gone]
        _streams[generation_id] = _Stream(account_id, now)


def end(generation_id: str) -> None:
    """The stream ended and its outcome is journalled (stored in the database a moment later)."""
    with _lock:
        stream = _streams.get(generation_id)
        if stream is not None:
            stream.ended = time.monotonic()


def streaming() -> int:
    """How many streams this process relays now."""
    with _lock:
        return sum(1 for s in _streams.values() if s.ended is None)


def in_progress(
    session: Session, account_id: int, generation_id: str, *, now: datetime | None = None
) -> InProgress | None:
    """What is known of a generation of the account that is not stored (yet); None when it is stored (for any
    account: an id of another account stays "not found"), when it is not one of this installation's ids, or
    when nothing says it is still under way."""
    started = recorded_at(generation_id)
    if started is None:
        return None
    with _lock:
        stream = _streams.get(generation_id)
        here = stream is not None and not _expired(stream, time.monotonic())
    if (here and stream.account_id != account_id) or session.get(Generation, generation_id) is not None:
        return None
    if here:
        return InProgress(generation_id, started, True)
    if session.get_bind().dialect.name == 'sqlite':  # one process: had it been streaming, it would be known
        return None
    now = now or datetime.now(UTC)
    if now - WINDOW <= started <= now + SKEW:
        return InProgress(generation_id, started, False)
    return None


def _expired(stream: _Stream, now: float) -> bool:
    if stream.ended is not None:
        return now - stream.ended > GRACE_S
    return now - stream.began > FORGET_S
