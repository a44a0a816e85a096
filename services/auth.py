"""Dashboard login: needed when a password is configured, and required when listening beyond loopback.

The password comes from LOWROUTER_DASHBOARD_PASSWORD (plain) or LOWROUTER_DASHBOARD_PASSWORD_HASH (an
argon2 hash, e.g. from `python app.py hash-password`). It is checked with argon2 (a slow hash).
Sessions are cookies signed with a secret kept in the database, so every app process shares it.
"""

from __future__ import annotations

import os
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.models import AppSetting

SESSION_KEY = 'lowrouter_login'
SESSION_HOURS = 12
MAX_FAILURES = 5
WINDOW_S = 300  # 5 failures within 5 minutes lock that client out for LOCKOUT_S
LOCKOUT_S = 60

_hasher = PasswordHasher()
_failures: dict[str, deque[float]] = defaultdict(deque)


@dataclass(frozen=True)
class LoginConfig:
    password_hash: str | None

    @property
    def enabled(self) -> bool:
        return self.password_hash is not None


@cache
def login_config() -> LoginConfig:
    hashed = os.environ.get('LOWROUTER_DASHBOARD_PASSWORD_HASH')
    plain = os.environ.get('LOWROUTER_DASHBOARD_PASSWORD')
    if hashed:
        return LoginConfig(hashed)
    return LoginConfig(_hasher.hash(plain) if plain else None)


def hash_password(plain: str) -> str:
    return _hasher.hash(plain)


def check_password(client: str, attempt: str, *, now: float | None = None) -> tuple[bool, str | None]:
    """(accepted, message). Refuses without checking while the client is locked out."""
    now = now or time.monotonic()
    recent = _failures[client]
    while recent and now - recent[0] > WINDOW_S:
        recent.popleft()
    if len(recent) >= MAX_FAILURES and now - recent[-1] < LOCKOUT_S:
        return False, f'Too many wrong passwords. Try again in {int(LOCKOUT_S - (now - recent[-1])) + 1} s.'
    try:
        _hasher.verify(login_config().password_hash or '', attempt)
    except (VerificationError, InvalidHashError):
        recent.append(now)
        return False, 'That password is not right.'
    recent.clear()
    return True, None


def storage_secret(session: Session) -> str:
    """LOWROUTER_STORAGE_SECRET, or one generated on first start and kept in the database."""
    given = os.environ.get('LOWROUTER_STORAGE_SECRET')
    if given:
        return given
    row = session.get(AppSetting, 'storage_secret')
    if row is not None:
        return row.value
    try:
        with session.begin_nested():
            session.add(AppSetting(key='storage_secret', value=secrets.token_urlsafe(48)))
    except IntegrityError:  # another process created it first
        pass
    return session.get(AppSetting, 'storage_secret').value
