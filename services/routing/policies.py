"""Routing policies: account defaults for lowrouter/auto and per-key overrides that inherit from them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlmodel import Session, select

from services.catalog import get_catalog
from services.errors import InvalidInput
from services.keys.api_keys import get_key
from services.models import Account, RoutingPolicy, utcnow
from services.routing.engine import DEFAULT_AUTO_POOL, STRATEGIES, Policy, Strategy

FIELDS = (
    'strategy', 'prefer_region', 'fixed_provider', 'allow_fallbacks', 'max_price_per_mtok', 'max_latency_ms',
    'allowed_providers', 'blocked_providers', 'allowed_regions', 'blocked_regions', 'auto_pool',
)  # fmt: skip
BUILT_IN: dict[str, Any] = {
    'strategy': 'cheapest',
    'prefer_region': None,
    'fixed_provider': None,
    'allow_fallbacks': True,
    'max_price_per_mtok': None,
    'max_latency_ms': None,
    'allowed_providers': None,
    'blocked_providers': [],
    'allowed_regions': None,
    'blocked_regions': [],
    'auto_pool': list(DEFAULT_AUTO_POOL),
}
USES = {'prefer_region': 'prefer_region', 'fixed_provider': 'fixed_provider'}  # strategy -> the field only it uses


class PolicyError(InvalidInput, ValueError):
    """A routing setting that was refused; `field` names the input to fix."""


class PolicySettings(BaseModel):
    """A partial policy: only the fields given are set (for a key, the others inherit)."""

    model_config = ConfigDict(extra='forbid')

    strategy: Strategy | None = None
    prefer_region: str | None = None
    fixed_provider: str | None = None
    allow_fallbacks: bool | None = None
    max_price_per_mtok: Decimal | None = Field(default=None, gt=0, le=1000)
    max_latency_ms: int | None = Field(default=None, gt=0, le=600_000)
    allowed_providers: list[str] | None = None
    blocked_providers: list[str] | None = None
    allowed_regions: list[str] | None = None
    blocked_regions: list[str] | None = None
    auto_pool: list[str] | None = None

    @field_validator('prefer_region')
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None and value not in get_catalog().regions:
            raise ValueError(f'unknown region {value!r}')
        return value

    @field_validator('fixed_provider')
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        if value is not None and value not in get_catalog().providers:
            raise ValueError(f'unknown provider {value!r}')
        return value

    @field_validator('allowed_providers', 'blocked_providers')
    @classmethod
    def _providers(cls, value: list[str] | None) -> list[str] | None:
        unknown = [p for p in value or [] if p not in get_catalog().providers]
        if unknown:
            raise ValueError(f'unknown provider {unknown[0]!r}')
        return None if value is None else sorted(set(value))

    @field_validator('allowed_regions', 'blocked_regions')
    @classmethod
    def _regions(cls, value: list[str] | None) -> list[str] | None:
        unknown = [r for r in value or [] if r not in get_catalog().regions]
        if unknown:
            raise ValueError(f'unknown region {unknown[0]!r}')
        return None if value is None else sorted(set(value))

    @field_validator('auto_pool')
    @classmethod
    def _pool(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [m for m in value if m not in get_catalog().models]
        if unknown:
            raise ValueError(f'unknown model {unknown[0]!r}')
        if not value:
            raise ValueError('the auto pool needs at least one model')
        return list(dict.fromkeys(value))

    @model_validator(mode='after')
    def _strategy_needs(self) -> PolicySettings:
        if self.strategy == 'prefer_region' and 'prefer_region' in self.model_fields_set and not self.prefer_region:
            raise ValueError('prefer_region: choose the region to prefer')
        return self


def validate(settings: dict[str, Any]) -> dict[str, Any]:
    """Check a partial policy; returns only the fields that were given, JSON-ready."""
    try:
        parsed = PolicySettings.model_validate(settings)
    except ValidationError as error:
        first = error.errors()[0]
        message = first['msg'].removeprefix('Value error, ')
        field = '.'.join(str(p) for p in first['loc'])
        if not field and ': ' in message:  # a rule across fields names its field first
            field, message = message.split(': ', 1)
        raise PolicyError(field or 'policy', message) from None
    given = parsed.model_dump(include=parsed.model_fields_set)
    if given.get('max_price_per_mtok') is not None:
        given['max_price_per_mtok'] = str(given['max_price_per_mtok'])
    return given


def account_settings(session: Session, account: Account) -> dict[str, Any]:
    row = _row(session, account.id, None)
    return applied(BUILT_IN | (row.settings if row else {}))


def applied(settings: dict[str, Any]) -> dict[str, Any]:
    """A whole policy as it is applied: the region or provider of a strategy not in force is cleared, so neither
    the stored policy nor a routing trace names a setting that was not used."""
    return settings | {field: None for strategy, field in USES.items() if settings.get('strategy') != strategy}


def key_override(session: Session, account: Account, key_id: int) -> dict[str, Any]:
    get_key(session, account, key_id)
    row = _row(session, account.id, key_id)
    return dict(row.settings) if row else {}


def set_account_settings(session: Session, account: Account, settings: dict[str, Any]) -> dict[str, Any]:
    """Replace the defaults (fields left out take built-in values); a region or provider the strategy does not
    use is not kept."""
    complete = complete_settings(settings)
    for row in session.exec(
        select(RoutingPolicy).where(RoutingPolicy.account_id == account.id, RoutingPolicy.api_key_id.is_not(None))
    ):
        try:  # a key that inherits a field must still have a usable policy afterwards
            _check_complete(complete | row.settings)
        except PolicyError as error:
            key = get_key(session, account, row.api_key_id)
            raise _inherited_error(error, key.name, complete['strategy']) from None
    _save(session, account.id, None, validate(complete))
    return complete


def complete_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """A whole, usable policy: the given fields validated, the rest built in, as it is applied."""
    complete = applied(BUILT_IN | validate(settings))
    _check_complete(complete)
    return complete


def set_key_override(session: Session, account: Account, key_id: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Store the fields a key overrides. With its own strategy, a region or provider that strategy does not use
    is not kept; without, the key's region or provider applies while the inherited strategy uses it."""
    get_key(session, account, key_id)
    given = validate(settings)
    if 'strategy' in given:
        given = {f: v for f, v in given.items() if f not in USES.values() or USES.get(given['strategy']) == f}
    _check_complete(account_settings(session, account) | given)
    _save(session, account.id, key_id, given)
    return given


def clear_key_override(session: Session, account: Account, key_id: int) -> None:
    get_key(session, account, key_id)
    row = _row(session, account.id, key_id)
    if row is not None:
        session.delete(row)
        session.flush()


def effective(session: Session, account: Account, key_id: int | None = None) -> tuple[dict[str, Any], dict[str, str]]:
    """The settings in force for a key, and where each comes from ('account' or 'key')."""
    base = account_settings(session, account)
    override = key_override(session, account, key_id) if key_id else {}
    return applied(base | override), {f: 'key' if f in override else 'account' for f in FIELDS}


def to_policy(settings: dict[str, Any]) -> Policy:
    s = applied(BUILT_IN | settings)
    price = s['max_price_per_mtok']

    def optional_set(value):
        return None if value is None else frozenset(value)

    return Policy(
        strategy=s['strategy'],
        prefer_region=s['prefer_region'],
        fixed_provider=s['fixed_provider'],
        allow_fallbacks=s['allow_fallbacks'],
        max_price_per_mtok=None if price is None else Decimal(str(price)),
        max_latency_ms=s['max_latency_ms'],
        allowed_providers=optional_set(s['allowed_providers']),
        blocked_providers=frozenset(s['blocked_providers'] or ()),
        allowed_regions=optional_set(s['allowed_regions']),
        blocked_regions=frozenset(s['blocked_regions'] or ()),
        auto_pool=tuple(s['auto_pool'] or DEFAULT_AUTO_POOL),
    )


def _check_complete(settings: dict[str, Any]) -> None:
    if settings['strategy'] == 'prefer_region' and not settings['prefer_region']:
        raise PolicyError('prefer_region', 'choose the region to prefer')
    if settings['strategy'] == 'fixed_provider' and not settings['fixed_provider']:
        raise PolicyError('fixed_provider', 'choose the provider to use')
    if settings['strategy'] not in STRATEGIES:
        raise PolicyError('strategy', f'choose one of {", ".join(STRATEGIES)}')


def _inherited_error(error: PolicyError, key_name: str, strategy: str) -> PolicyError:
    """The defaults would leave a key that inherits a field without it: say which key, and what to do."""
    if USES.get(strategy) != error.field:  # the new strategy does not use the field: it is no longer kept
        what = 'region to prefer' if error.field == 'prefer_region' else 'provider to use'
        return PolicyError(
            'strategy',
            f'key "{key_name}" inherits its {what} from these defaults, and this strategy does not keep one: '
            f'give that key its own {what.split()[0]} first (or clear its override)',
        )
    return PolicyError(error.field, f'{error.message} (key "{key_name}" inherits it; change its override first)')


def _row(session: Session, account_id: int, key_id: int | None) -> RoutingPolicy | None:
    query = select(RoutingPolicy).where(RoutingPolicy.account_id == account_id)
    query = query.where(RoutingPolicy.api_key_id.is_(None) if key_id is None else RoutingPolicy.api_key_id == key_id)
    return session.exec(query).first()


def _save(session: Session, account_id: int, key_id: int | None, settings: dict[str, Any]) -> None:
    row = _row(session, account_id, key_id) or RoutingPolicy(account_id=account_id, api_key_id=key_id)
    row.settings = settings
    row.updated_at = utcnow()
    session.add(row)
    session.flush()
