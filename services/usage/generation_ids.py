"""Generation ids: 'gen-' + the recording time in milliseconds (9 base-36 digits) + 11 random base-36 digits.

Leading with the time keeps new ids at the end of the primary-key index (cheap inserts at any size) and tells,
for an id that is no longer stored, when it was recorded (pruning, key spend by recording hour).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from services.models import utcnow

ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz'
ID_TIME_DIGITS = 9


def recording_hour(row: Mapping[str, Any]) -> datetime:
    """The UTC hour a generation was recorded in: its id says (seeded histories are recorded as they happen)."""
    ours = len(row['id']) == 24 and row['id'].startswith('gen-')  # as `recorded_at` reads them
    hour = _hour_of_stamp(row['id'][:13]) if ours else None
    return hour or row['created_at'].replace(minute=0, second=0, microsecond=0)


@lru_cache(maxsize=64)
def _hour_of_stamp(prefix: str) -> datetime | None:
    """The hour of an id's time stamp ('gen-' and 9 digits): a batch's ids share a handful of them."""
    moment = recorded_at(prefix + '0' * (24 - len(prefix)))
    return moment.replace(minute=0, second=0, microsecond=0) if moment is not None else None


def new_generation_id(rng: random.Random | None = None, now: datetime | None = None) -> str:
    """A new id recorded at `now` (see the module's docstring); `rng` for seeded histories."""
    millis = int((now or utcnow()).timestamp() * 1000)
    bits = rng.getrandbits(64) if rng is not None else secrets.randbits(64)
    return 'gen-' + _base36(millis, ID_TIME_DIGITS) + _base36(bits, 20 - ID_TIME_DIGITS)


def _base36(number: int, digits: int) -> str:
    """The last `digits` base-36 digits of `number`, zero-padded (two digits a step: every id needs 20)."""
    out = []
    for _ in range(digits // 2):
        number, pair = divmod(number, 1296)
        out.append(_PAIRS[pair])
    if digits % 2:
        out.append(ID_ALPHABET[number % 36])
    return ''.join(reversed(out))


_PAIRS = tuple(a + b for a in ID_ALPHABET for b in ID_ALPHABET)  # 36 x 36: the pair for 0..1295


def recorded_at(generation_id: str) -> datetime | None:
    """When a generation id was issued by `new_generation_id` (None if it is not one of ours)."""
    stamp = generation_id.removeprefix('gen-')[:ID_TIME_DIGITS]
    if not generation_id.startswith('gen-') or len(generation_id) != 24 or any(c not in ID_ALPHABET for c in stamp):
        return None
    try:
        return datetime.fromtimestamp(int(stamp, 36) / 1000, UTC)
    except (OverflowError, ValueError, OSError):
        return None
