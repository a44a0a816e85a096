"""Which upstreams are cooling off: skipped by routing for a while after they failed or asked to be left alone.

- An answer with `Retry-After` (a 429 or a 5xx) is honoured: the provider is not called again before then
  (at most MAX_RETRY_AFTER ahead).
- FAILURES_TO_TRIP failures in a row (5xx, timeouts, refused connections, 429 without Retry-After) cool it off
  for COOL_OFF, doubled at each further trip up to MAX_COOL_OFF. After the period the next request tries it
  again; a success forgets everything, a failure cools it off at once for the next, longer, period.

State is per process and in memory (like the connection pools it goes with): after a restart every provider
is tried again, which is what an operator restarting after a fix expects.
"""

from __future__ import annotations

import email.utils
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

FAILURES_TO_TRIP = 3
COOL_OFF = 30.0  # seconds
MAX_COOL_OFF = 300.0
MAX_RETRY_AFTER = 600.0


@dataclass
class _State:
    failures: int = 0  # in a row
    trips: int = 0  # cooling periods in a row (the next one is twice as long)
    until: float = 0.0  # time.time() before which the provider is skipped
    why: str = ''


class Health:
    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self._states: dict[str, _State] = {}
        self._lock = threading.Lock()

    def cooling(self) -> dict[str, datetime]:
        """Providers skipped now, with the moment (UTC) they will be tried again."""
        now = self._clock()
        return {
            provider: datetime.fromtimestamp(state.until, UTC)
            for provider, state in list(self._states.items())
            if state.until > now
        }

    def succeeded(self, provider: str) -> None:
        if provider in self._states:
            with self._lock:
                self._states.pop(provider, None)

    def failed(self, provider: str, outcome: str, retry_after_s: float | None = None) -> float | None:
        """Count a failure; returns for how many seconds the provider now cools off (None: not cooling)."""
        now = self._clock()
        with self._lock:
            state = self._states.setdefault(provider, _State())
            state.failures += 1
            period = None
            if retry_after_s is not None and retry_after_s > 0:
                period = min(retry_after_s, MAX_RETRY_AFTER)
                state.why = f'{outcome}, asked to wait {_seconds(period)}'
            if state.failures >= FAILURES_TO_TRIP or (state.trips and state.until <= now):
                tripped = min(COOL_OFF * 2**state.trips, MAX_COOL_OFF)
                state.trips += 1
                if period is None or tripped > period:
                    period = tripped
                    state.why = f'{state.failures} failures in a row, the last {outcome}'
                state.failures = 0
            if period is None:
                return None
            state.until = max(state.until, now + period)
            return period

    def reason(self, provider: str) -> str:
        state = self._states.get(provider)
        return state.why if state else ''

    def reset(self) -> None:
        with self._lock:
            self._states.clear()


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """A Retry-After header (seconds, or an HTTP date) as seconds from now; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp() - (time.time() if now is None else now)
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def _seconds(value: float) -> str:
    return f'{value:g} s'
