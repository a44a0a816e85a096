"""What a key may grant: over the API a key creates, edits or rotates only keys no wider than itself.

Scopes, allowed models, monthly spend limit and expiry are each checked against the acting key's own: a key
limited to one model and 1.00 a month cannot make (or turn itself into) an all-scope, unlimited key. The
operator, signed in to the dashboard or on the command line, acts without a key and is not limited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from decimal import Decimal
from typing import Any

from services.errors import Forbidden
from services.models import ApiKey


class KeyForbidden(Forbidden, PermissionError):
    """The acting key would grant more than it holds; `field` says which setting."""


def held(key: ApiKey) -> dict[str, Any]:
    """What `key` grants, as the columns `check_ceiling` compares."""
    return {
        'scopes': key.scopes,
        'allowed_models': key.allowed_models,
        'spend_limit_micros': key.spend_limit_micros,
        'expires_at': key.expires_at,
    }


def check_ceiling(acting: ApiKey | None, granted: Mapping[str, Any]) -> None:
    """Raise KeyForbidden when `granted` (key columns) is wider than what `acting` holds."""
    if acting is None:
        return
    extra = [s for s in granted['scopes'] if s not in acting.scopes]
    if extra:
        raise KeyForbidden(
            'scopes', f'this key holds only {", ".join(acting.scopes)}, so it cannot grant {", ".join(extra)}'
        )
    _models(acting.allowed_models, granted['allowed_models'])
    _limit(acting.spend_limit_micros, granted['spend_limit_micros'])
    _expiry(acting.expires_at, granted.get('expires_at'))


def _models(own: list[str] | None, wanted: list[str] | None) -> None:
    if not own:
        return
    if not wanted:
        raise KeyForbidden(
            'allowed_models', f'this key may only use {", ".join(own)}, so it cannot grant every model; list some'
        )
    extra = [m for m in wanted if m not in own]
    if extra:
        raise KeyForbidden('allowed_models', f'this key may only use {", ".join(own)}, not {", ".join(extra)}')


def _limit(own: int | None, wanted: int | None) -> None:
    if own is None:
        return
    if wanted is None:
        raise KeyForbidden('spend_limit', f'this key is limited to {_amount(own)} a month, so it cannot grant no limit')
    if wanted > own:
        raise KeyForbidden('spend_limit', f"{_amount(wanted)} is more than this key's own limit of {_amount(own)}")


def _expiry(own, wanted) -> None:
    if own is None:
        return
    ends = own.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
    if wanted is None:
        raise KeyForbidden('expires_at', f'this key expires at {ends}, so it cannot grant a key that never expires')
    if wanted > own:
        raise KeyForbidden('expires_at', f'this key expires at {ends}; give a time no later than that')


def _amount(micros: int) -> str:
    """1000000 -> '1.00', 1 -> '0.000001'."""
    text = f'{Decimal(micros) / 1_000_000:.6f}'.rstrip('0')
    return text + '0' * max(0, 2 - len(text.split('.')[1]))
