"""The rows of /keys: what the page shows of each key (status, limits, this month's spend), read in one go
for the page's first render and for each live refresh."""

from __future__ import annotations

from dataclasses import dataclass

from services import db, locales
from services.account.accounts import get_account
from services.keys.api_keys import key_status, list_keys
from services.keys.spend import KeyMonth, month_usage_by_key
from services.models import Account, ApiKey
from services.money import format_money, format_total
from services.timeutil import format_local
from services.units import tokens_text

STATUS_COLOURS = {'active': 'positive', 'expired': 'orange-9', 'revoked': 'grey-6'}


@dataclass(frozen=True)
class KeyList:
    """The keys as the page shows them, read in one go (for its first render and for each live refresh)."""

    account: Account
    keys: list[ApiKey]  # revoked keys last, otherwise oldest first
    rows: list[dict]  # one per key, in the same order

    @property
    def terms(self) -> tuple[str, str]:
        """What the card's texts depend on besides the rows."""
        return self.account.timezone, self.account.currency, locales.of(self.account)


def read_keys(account_id: int) -> KeyList | None:
    """The account's keys with their month so far; None when the account is gone."""
    with db.read_scope() as session:
        account = get_account(session, account_id)
        if account is None:
            return None
        keys = list_keys(session, account)
        usage = month_usage_by_key(session, account)
    keys.sort(key=lambda k: key_status(k) == 'revoked')
    return KeyList(account, keys, [key_row(account, key, usage.get(key.id, KeyMonth())) for key in keys])


def key_row(account: Account, key: ApiKey, month: KeyMonth) -> dict:
    """The table row (and phone card) of a key: its texts, status and this month's spend against its limit."""
    zone, currency, loc = account.timezone, account.currency, locales.of(account)
    status = key_status(key)
    row = {
        'id': key.id,
        'name': key.name,
        'prefix': key.prefix,
        'scopes': ', '.join(key.scopes),
        'models': _models_text(key.allowed_models),
        'created': format_local(key.created_at, zone),
        'last_used': format_local(key.last_used_at, zone) if key.last_used_at else 'never',
        'cost': format_total(month.cost_micros, currency, locale=loc),
        'tokens': f'{tokens_text(month.tokens, locale=loc)} tokens',
        'status': status,
        'status_text': status.capitalize(),
        'colour': STATUS_COLOURS[status],
        'expires': '',
        'limit': 'no limit',
        'share': None,
        'over': False,
    }
    row['last_used_text'] = 'never used' if key.last_used_at is None else f'used {row["last_used"]}'
    if key.expires_at is not None and status != 'revoked':
        verb = 'expired' if status == 'expired' else 'until'
        row['expires'] = f'{verb} {format_local(key.expires_at, zone)}'
    if key.spend_limit_micros:
        used, limit = month.cost_micros, key.spend_limit_micros
        row['limit'] = (
            f'{format_money(used, currency, locale=loc)} of {format_money(limit, currency, locale=loc)} '
            f'({used * 100 // limit} %)'
        )
        row['share'] = min(used / limit, 1.0)
        row['over'] = used >= limit
    return row


def _models_text(models: list[str] | None) -> str:
    if not models:
        return ''
    return f'only {models[0]}' if len(models) == 1 else f'only {len(models)} models'
