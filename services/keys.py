"""API keys: secrets are shown once and stored only as a SHA-256 hash.

A plain SHA-256 is enough here: the secret is 32+ random URL-safe characters from `secrets`
(over 190 bits), so there is nothing to brute-force or look up in a table; a slow hash would only
cost every API request time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from services.models import Account, ApiKey, utcnow

SCOPES = ('inference', 'ingest', 'read', 'manage')
SECRET_PREFIX = 'lr-'


class KeyInputError(ValueError):
    pass


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def create_key(session: Session, account: Account, *, name: str, scopes: list[str]) -> NewKey:
    name = name.strip()
    if not name or len(name) > 120:
        raise KeyInputError('a key needs a name of 1 to 120 characters')
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise KeyInputError(f'scopes must be one or more of {", ".join(SCOPES)}')
    secret = new_secret()
    key = ApiKey(
        account_id=account.id,
        name=name,
        prefix=secret[:11],
        secret_hash=hash_secret(secret),
        scopes=[s for s in SCOPES if s in scopes],
    )
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> ApiKey | None:
    """The active key for a presented secret, or None (unknown, expired or revoked)."""
    digest = hash_secret(secret)
    key = session.exec(select(ApiKey).where(ApiKey.secret_hash == digest)).first()
    if key is None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    now = now or utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    return key
