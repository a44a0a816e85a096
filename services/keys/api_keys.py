"""API keys: create, scope, limit, rotate, revoke. Secrets are shown once and stored only as SHA-256.

A plain SHA-256 is enough here: a secret is 'lr-' plus 43 random URL-safe characters from `secrets`
(256 bits), so there is nothing to guess or look up; a slow hash would only slow every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import bindparam, or_, update
from sqlmodel import Session, select

from services.catalog import get_catalog
from services.errors import InvalidInput, NotFound
from services.keys._grants import KeyForbidden as KeyForbidden  # re-exported for the API
from services.keys._grants import check_ceiling, held
from services.models import Account, ApiKey, utcnow
from services.money import MoneyError, parse_amount

SCOPES = ('inference', 'ingest', 'read', 'manage')
SECRET_PREFIX = 'lr-'
GRACE_PERIODS = {'none': timedelta(0), '1h': timedelta(hours=1), '24h': timedelta(hours=24)}
LAST_USED_RESOLUTION = timedelta(seconds=60)  # "last used" is written at most once a minute per key
BulkAction = Literal['revoke', 'add_scope', 'remove_scope', 'set_limit']


class KeyInputError(InvalidInput, ValueError):
    """A key setting that was refused; `field` names the input to fix."""


class KeyNotFound(NotFound, LookupError):
    """No such key in this account."""


class KeySettings(BaseModel):
    """What an operator may set on a key. On update, only the fields given are changed."""

    model_config = ConfigDict(str_strip_whitespace=True, extra='forbid')

    name: str = Field(min_length=1, max_length=120)
    scopes: list[str] = Field(min_length=1)
    spend_limit: Decimal | None = Field(default=None, description='per calendar month, in the account currency')
    allowed_models: list[str] | None = None
    expires_at: datetime | None = None

    @field_validator('name', mode='before')
    @classmethod
    def _name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            raise ValueError('give the key a name')
        return value

    @field_validator('scopes', mode='before')
    @classmethod
    def _some_scope(cls, value: Any) -> Any:
        if isinstance(value, list) and not value:
            raise ValueError('choose at least one scope')
        return value

    @field_validator('scopes')
    @classmethod
    def _scopes(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(SCOPES))
        if unknown:
            raise ValueError(f'unknown scope {", ".join(unknown)}; choose from {", ".join(SCOPES)}')
        return [s for s in SCOPES if s in value]

    @field_validator('spend_limit', mode='before')
    @classmethod
    def _limit(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError('give the limit as a decimal string, e.g. "25.00"')
        if value is None or value == '':
            return None
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f'{value!r} is not an amount; write it like 25.00') from None
        if not amount.is_finite() or amount <= 0:
            raise ValueError('must be more than 0 (leave it empty for no limit)')
        return amount

    @field_validator('allowed_models')
    @classmethod
    def _models(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        unknown = [m for m in value if m not in get_catalog().models]
        if unknown:
            raise ValueError(f'unknown model {unknown[0]!r}')
        return sorted(set(value))

    @field_validator('expires_at')
    @classmethod
    def _future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError('needs a time zone, e.g. 2027-01-01T00:00:00Z')
        if value <= utcnow():
            raise ValueError('must be in the future')
        return value


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def key_status(key: ApiKey, now: datetime | None = None) -> str:
    now = now or utcnow()
    if key.revoked_at is not None:
        return 'revoked'
    if key.expires_at is not None and key.expires_at <= now:
        return 'expired'
    return 'active'


def create_key(session: Session, account: Account, *, acting_key: ApiKey | None = None, **fields: Any) -> NewKey:
    """A new key. `acting_key`: the key asking over the API, which may grant only what it holds; None is the
    operator (dashboard, command line), who may grant anything."""
    settings = _validate(fields)
    columns = _columns(settings)
    check_ceiling(acting_key, columns)
    secret = new_secret()
    key = ApiKey(account_id=account.id, prefix=secret[:11], secret_hash=hash_secret(secret), **columns)
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def get_key(session: Session, account: Account, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.account_id != account.id:
        raise KeyNotFound(f'no key {key_id} in this account')
    return key


def list_keys(session: Session, account: Account) -> list[ApiKey]:
    return list(
        session.exec(select(ApiKey).where(ApiKey.account_id == account.id).order_by(ApiKey.created_at, ApiKey.id))
    )


def update_key(
    session: Session, account: Account, key_id: int, *, acting_key: ApiKey | None = None, **fields: Any
) -> ApiKey:
    """Change the fields given. With `acting_key`, the key as changed must be no wider than the acting key."""
    key = get_key(session, account, key_id)
    if key.revoked_at is not None:
        raise KeyInputError('key', f'{key.name} is revoked and can no longer be changed')
    current = {
        'name': key.name,
        'scopes': key.scopes,
        'spend_limit': None if key.spend_limit_micros is None else Decimal(key.spend_limit_micros) / 1_000_000,
        'allowed_models': key.allowed_models,
        'expires_at': None,
    }
    settings = _validate({**current, **fields})
    changes = {k: v for k, v in _columns(settings).items() if k != 'expires_at' or 'expires_at' in fields}
    check_ceiling(acting_key, {'expires_at': key.expires_at} | changes)
    for column, value in changes.items():
        setattr(key, column, value)
    session.add(key)
    session.flush()
    return key


def rotate_key(
    session: Session, account: Account, key_id: int, *, grace: str = 'none', acting_key: ApiKey | None = None
) -> NewKey:
    """A new secret for the same key (id, name, scopes, limits, history); the old one ends after `grace`.
    The new secret grants the whole key, so an acting key may only rotate keys no wider than itself."""
    if grace not in GRACE_PERIODS:
        raise KeyInputError('grace', f'choose one of {", ".join(GRACE_PERIODS)}')
    key = get_key(session, account, key_id)
    if key_status(key) == 'revoked':
        raise KeyInputError('key', 'a revoked key cannot be rotated')
    check_ceiling(acting_key, held(key))
    secret = new_secret()
    period = GRACE_PERIODS[grace]
    key.previous_secret_hash = key.secret_hash if period else None
    key.previous_secret_valid_until = utcnow() + period if period else None
    key.secret_hash = hash_secret(secret)
    key.prefix = secret[:11]
    session.add(key)
    session.flush()
    return NewKey(key, secret)


def revoke_key(session: Session, account: Account, key_id: int) -> ApiKey:
    key = get_key(session, account, key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.previous_secret_hash = None
        key.previous_secret_valid_until = None
        session.add(key)
        session.flush()
    return key


def bulk_update(
    session: Session,
    account: Account,
    key_ids: list[int],
    action: BulkAction,
    value: Any = None,
    *,
    acting_key: ApiKey | None = None,
) -> int:
    """One action on several keys, all or nothing. Returns how many keys changed."""
    keys = [get_key(session, account, key_id) for key_id in dict.fromkeys(key_ids)]
    if not keys:
        raise KeyInputError('keys', 'select at least one key')
    with session.begin_nested():  # all or nothing, whatever the caller does with the error
        for key in keys:
            _bulk_one(session, account, key, action, value, acting_key)
    return len(keys)


def _bulk_one(
    session: Session, account: Account, key: ApiKey, action: BulkAction, value: Any, acting_key: ApiKey | None
) -> None:
    if action != 'revoke' and key.revoked_at is not None:
        raise KeyInputError('keys', f'{key.name} is revoked; leave it out of the selection')
    if action == 'revoke':
        revoke_key(session, account, key.id)
    elif action in ('add_scope', 'remove_scope'):
        scopes = set(key.scopes) | {value} if action == 'add_scope' else set(key.scopes) - {value}
        if not scopes:
            raise KeyInputError('scopes', f'{key.name} would be left without any scope')
        update_key(session, account, key.id, scopes=sorted(scopes), acting_key=acting_key)
    elif action == 'set_limit':
        update_key(session, account, key.id, spend_limit=value, acting_key=acting_key)
    else:
        raise KeyInputError('action', f'unknown bulk action {action!r}')


def authenticate(session: Session, secret: str, *, now: datetime | None = None) -> ApiKey | None:
    """The active key for a presented secret, or None (unknown, expired, revoked, or past its grace)."""
    found = authenticate_with_account(session, secret, now=now)
    return found[0] if found is not None else None


def authenticate_with_account(
    session: Session, secret: str, *, now: datetime | None = None
) -> tuple[ApiKey, Account] | None:
    """`authenticate`, with the key's account loaded by the same query (the ingestion hot path needs both)."""
    now = now or utcnow()
    digest = hash_secret(secret)
    found = session.exec(_key_and_account(), params={'digest': digest}).first()
    if found is None:
        return None
    key, account = found
    if key_status(key, now) != 'active':
        return None
    if hmac.compare_digest(key.secret_hash, digest):
        return key, account
    in_grace = key.previous_secret_valid_until is not None and now < key.previous_secret_valid_until
    if in_grace and hmac.compare_digest(key.previous_secret_hash or '', digest):
        return key, account
    return None


@cache
def _key_and_account():
    """The key whose current or previous secret hashes to :digest, with its account (built once: building a
    statement costs more than running it, and every API request runs this one)."""
    digest = bindparam('digest')
    return (
        select(ApiKey, Account)
        .join(Account, Account.id == ApiKey.account_id)
        .where(or_(ApiKey.secret_hash == digest, ApiKey.previous_secret_hash == digest))
    )


def touch(session: Session, key: ApiKey, *, now: datetime | None = None) -> None:
    """Record a use, writing at most once per LAST_USED_RESOLUTION (a conditional UPDATE, no read).

    `key` as loaded tells whether a write can be due at all: on the hot path most uses skip the UPDATE."""
    now = now or utcnow()
    if key.last_used_at is not None and key.last_used_at >= now - LAST_USED_RESOLUTION:
        return
    session.execute(
        update(ApiKey)
        .where(ApiKey.id == key.id)
        .where(or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION))
        .values(last_used_at=now)
    )


def _validate(fields: dict[str, Any]) -> KeySettings:
    try:
        return KeySettings.model_validate(fields)
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first['loc'][0]) if first['loc'] else 'key'
        raise KeyInputError(field, first['msg'].removeprefix('Value error, ')) from None


def _columns(settings: KeySettings) -> dict[str, Any]:
    try:
        limit = None if settings.spend_limit is None else parse_amount(settings.spend_limit)
    except MoneyError as error:
        raise KeyInputError('spend_limit', str(error)) from None
    return {
        'name': settings.name,
        'scopes': settings.scopes,
        'spend_limit_micros': limit,
        'allowed_models': settings.allowed_models,
        'expires_at': settings.expires_at,
    }
