"""Dashboard login: needed when a password is configured, and required when listening beyond loopback.

The password comes from LOWROUTER_DASHBOARD_PASSWORD (plain, at least 12 characters) or
LOWROUTER_DASHBOARD_PASSWORD_HASH (an argon2 hash, e.g. from `python app.py hash-password`). It is checked
with argon2 (a slow hash), behind the throttle of services/account/login_throttle.py.

Sessions are cookies signed with a secret kept in the database, so every app process shares it. A session
holds its expiry and a token: an HMAC of the configured password keyed by the installation's *session
epoch*, a random value in the database. Signing out draws a new epoch, which ends every session at once on
every process (there is one dashboard user), and a changed password no longer matches any token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services import db
from services.account.login_throttle import Ticket, throttle
from services.models import AppSetting

SESSION_KEY = 'lowrouter_login'  # the session's expiry (epoch seconds)
TOKEN_KEY = 'lowrouter_token'  # HMAC(epoch, password): stale after a sign-out or a password change
DEVICE_KEY = 'lowrouter_device'  # this browser signed in before: exempt from the account-wide attempt rate
SESSION_HOURS = 12
MIN_PASSWORD_LENGTH = 12
EPOCH_SETTING = 'session_epoch'
EPOCH_CACHE_S = 1.0  # other processes see a sign-out within this long

_hasher = PasswordHasher()


@dataclass(frozen=True)
class LoginConfig:
    password_hash: str | None
    fingerprint: bytes = b''  # what a session token binds to: the configured hash, or the plain password

    @property
    def enabled(self) -> bool:
        return self.password_hash is not None


@cache
def login_config() -> LoginConfig:
    hashed = os.environ.get('LOWROUTER_DASHBOARD_PASSWORD_HASH')
    plain = os.environ.get('LOWROUTER_DASHBOARD_PASSWORD')
    if hashed:
        return LoginConfig(hashed, hashed.encode())
    return LoginConfig(_hasher.hash(plain), plain.encode()) if plain else LoginConfig(None)


def password_problem() -> str | None:
    """Why the configured plain password is refused, if it is (a hash's password length cannot be known)."""
    plain = os.environ.get('LOWROUTER_DASHBOARD_PASSWORD')
    if plain and not os.environ.get('LOWROUTER_DASHBOARD_PASSWORD_HASH') and len(plain) < MIN_PASSWORD_LENGTH:
        return f'LOWROUTER_DASHBOARD_PASSWORD is too short: use at least {MIN_PASSWORD_LENGTH} characters.'
    return None


def local_path(target: str | None, default: str = '/dashboard') -> str:
    """`target` if it is a path on this site (where to go after signing in), else `default`.

    Refused: anything not starting with exactly one '/' (schemes, '//host', relative paths), backslashes
    (browsers read '/\\host' as '//host'), control characters and whitespace."""
    if (
        not target
        or len(target) > 2000
        or not target.startswith('/')
        or target.startswith('//')
        or any(c == '\\' or c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target)
    ):
        return default
    return target


def hash_password(plain: str) -> str:
    return _hasher.hash(plain)


def check_password(
    client: str, attempt: str, *, known_device: bool = False, now: float | None = None
) -> tuple[bool, str | None]:
    """(accepted, message). The attempt is reserved with the throttle before the (slow) check."""
    ticket = throttle.reserve(client, known_device=known_device, now=now)
    if not isinstance(ticket, Ticket):
        return False, ticket
    try:
        _hasher.verify(login_config().password_hash or '', attempt)
    except (VerificationError, InvalidHashError):
        return False, 'That password is not right.'
    throttle.release(ticket)
    return True, None


# sessions


def start_session(session: dict[str, Any], *, now: float | None = None) -> None:
    """Sign the browser in (`session` is the request's signed cookie session)."""
    now = time.time() if now is None else now
    session[SESSION_KEY] = now + SESSION_HOURS * 3600
    session[TOKEN_KEY] = _token(current_epoch())
    session[DEVICE_KEY] = True


def session_is_valid(session: dict[str, Any], *, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    try:
        expires = float(session.get(SESSION_KEY, 0))
    except (TypeError, ValueError):
        return False
    token = session.get(TOKEN_KEY)
    return expires > now and isinstance(token, str) and hmac.compare_digest(token, _token(current_epoch()))


def end_every_session() -> None:
    """Sign out everywhere: a new epoch makes every session token stale, on every process."""
    epoch = secrets.token_urlsafe(32)
    with db.session_scope() as session:
        row = session.get(AppSetting, EPOCH_SETTING)
        if row is None:
            session.add(AppSetting(key=EPOCH_SETTING, value=epoch))
        else:
            row.value = epoch
    _epoch_cache.update(value=epoch, read_at=time.monotonic())


def current_epoch() -> str:
    if _epoch_cache['value'] is not None and time.monotonic() - _epoch_cache['read_at'] < EPOCH_CACHE_S:
        return _epoch_cache['value']
    with db.read_scope() as session:
        row = session.get(AppSetting, EPOCH_SETTING)
    if row is None:
        with db.session_scope() as session:
            row = _get_or_create(session, EPOCH_SETTING, secrets.token_urlsafe(32))
    _epoch_cache.update(value=row.value, read_at=time.monotonic())
    return row.value


def forget_epoch() -> None:
    """Read the epoch from the database next time (a new database, in tests)."""
    _epoch_cache.update(value=None, read_at=0.0)


def _token(epoch: str) -> str:
    return hmac.new(epoch.encode(), login_config().fingerprint, hashlib.sha256).hexdigest()


_epoch_cache: dict[str, Any] = {'value': None, 'read_at': 0.0}


def storage_secret(session: Session) -> str:
    """LOWROUTER_STORAGE_SECRET, or one generated on first start and kept in the database."""
    given = os.environ.get('LOWROUTER_STORAGE_SECRET')
    if given:
        return given
    return _get_or_create(session, 'storage_secret', secrets.token_urlsafe(48)).value


def _get_or_create(session: Session, key: str, value: str) -> AppSetting:
    row = session.get(AppSetting, key)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            session.add(AppSetting(key=key, value=value))
    except IntegrityError:  # another process created it first
        pass
    return session.get(AppSetting, key)
