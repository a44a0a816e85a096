"""Ingestion: the one way a generation enters the database (demo data, the API and the router alike).

A generation and its hourly rollup are written in the same transaction. Prompt and response content
is dropped before anything else happens: there is no column for it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import ARRAY, String, bindparam, func, insert, literal, true
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from services.catalog import Catalog, get_catalog
from services.eco import estimate as eco
from services.errors import InvalidInput
from services.keys.spend import add_spend
from services.live.changes import note_generations
from services.models import Account, Generation, utcnow
from services.money import MoneyError, offer_cost_micros, parse_amount
from services.usage.generation_ids import new_generation_id, recording_hour
from services.usage.rollups import add_to_rollups
from services.usage.trace_limits import RoutingTrace

CONTENT_FIELDS = frozenset(
    {'prompt', 'messages', 'input', 'response', 'completion', 'output', 'content', 'choices', 'text'}
)
MAX_TOKENS = 10_000_000  # per request; more is not a real request
FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks differ a little; a generation further ahead has not happened
MAX_BACKDATE = timedelta(days=90)  # the oldest created_at a client may give, invoiced months aside


class IngestError(InvalidInput, ValueError):
    """A generation that cannot be recorded; `field` names the offending input."""


class GenerationIn(BaseModel):
    """What a caller may say about a generation. Only model and token counts are required."""

    model_config = ConfigDict(extra='ignore', str_strip_whitespace=True)

    model: str = Field(min_length=1, max_length=120)
    prompt_tokens: int = Field(ge=0, le=MAX_TOKENS)
    completion_tokens: int = Field(ge=0, le=MAX_TOKENS)
    provider: str | None = Field(default=None, max_length=60)
    region: str | None = Field(default=None, max_length=60)
    requested_model: str | None = Field(default=None, max_length=120)
    created_at: datetime | None = None
    latency_ms: int | None = Field(default=None, ge=0, le=3_600_000)
    ttft_ms: int | None = Field(default=None, ge=0, le=3_600_000)  # time to first token, of a stream
    cost: Decimal | None = Field(default=None, ge=0, le=Decimal('1000000'))
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal['completed', 'failed', 'cancelled'] = 'completed'  # cancelled: the client went away
    routing_trace: RoutingTrace | None = None  # at most 16 levels deep and 64 KB (services/usage/trace_limits.py)

    @field_validator('created_at')
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError('needs a time zone, e.g. 2026-11-24T10:15:00Z')
        try:
            return value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:00:00+09:00 is before the first representable time
            raise ValueError('is out of range') from None

    @field_validator('cost', mode='before')
    @classmethod
    def _no_float_cost(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError('give the cost as a decimal string, e.g. "0.000266"')
        return value


def record_generation(
    session: Session,
    account: Account,
    data: Mapping[str, Any] | GenerationIn,
    *,
    api_key_id: int | None = None,
    idempotency_key: str | None = None,
    catalog: Catalog | None = None,
    generation_id: str | None = None,
) -> tuple[Generation, bool]:
    """Validate, price, estimate and store one generation with its rollup. Returns (record, created).

    A retry with the same idempotency key or external id returns the first record and writes nothing.
    """
    payload = parse(data)
    existing = find_existing(session, account.id, idempotency_key, payload.external_id)
    if existing is not None:
        return existing, False
    row = prepare_generation(
        catalog or get_catalog(),
        account,
        payload,
        api_key_id=api_key_id,
        idempotency_key=idempotency_key,
        generation_id=generation_id,
    )
    try:
        with session.begin_nested():
            store_generations(session, [row])
    except IntegrityError:  # a concurrent retry won the race: answer with its record
        existing = find_existing(session, account.id, idempotency_key, payload.external_id)
        if existing is None:
            raise
        return existing, False
    return Generation.model_validate(row), True


def check_created_at(
    created_at: datetime | None, invoiced_until: datetime | None, *, now: datetime | None = None
) -> None:
    """Refuse a time more than 5 minutes ahead, more than 90 days back, or in an already invoiced period."""
    if created_at is None:
        return
    now = now or utcnow()
    if created_at > now + FUTURE_TOLERANCE:
        raise IngestError('created_at', f'is more than 5 minutes in the future (it is {_iso(now)} now)')
    if created_at < now - MAX_BACKDATE:
        raise IngestError('created_at', f'is more than {MAX_BACKDATE.days} days ago; give a later time')
    if invoiced_until is not None and created_at < invoiced_until:
        raise IngestError(
            'created_at', f'falls in a month already invoiced; give a time from {_iso(invoiced_until)} on'
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')


def parse(data: Mapping[str, Any] | GenerationIn) -> GenerationIn:
    if isinstance(data, GenerationIn):
        return data
    cleaned = {k: v for k, v in data.items() if k not in CONTENT_FIELDS}
    try:
        return GenerationIn.model_validate(cleaned)
    except ValidationError as error:
        first = error.errors()[0]
        field = '.'.join(str(p) for p in first['loc']) or 'body'
        raise IngestError(field, first['msg'].removeprefix('Value error, ')) from None


def find_existing(
    session: Session, account_id: int, idempotency_key: str | None, external_id: str | None
) -> Generation | None:
    for column, value in (('idempotency_key', idempotency_key), ('external_id', external_id)):
        if value:
            found = session.exec(_by_unique_key(column), params={'account_id': account_id, 'value': value}).first()
            if found is not None:
                return found
    return None


@cache
def _by_unique_key(column: str):
    """The account's generation with `column` = :value (built once per column: it runs on every retry check)."""
    return select(Generation).where(
        Generation.account_id == bindparam('account_id'), getattr(Generation, column) == bindparam('value')
    )


def find_existing_many(
    session: Session, account_id: int, wanted: list[tuple[str | None, str | None]]
) -> list[Generation | None]:
    """`find_existing` for many (idempotency key, external id) pairs, a few queries in all."""
    found: dict[tuple[str, str], Generation] = {}
    postgres = session.get_bind().dialect.name == 'postgresql'
    for name, column in (('idempotency', Generation.idempotency_key), ('external', Generation.external_id)):
        values = {pair[name == 'external'] for pair in wanted} - {None, ''}
        for chunk in _chunks(sorted(values), 500):
            if postgres:
                query = select(Generation).where(Generation.id.in_(_ids_by_unique_key(account_id, column, chunk)))
            else:
                query = select(Generation).where(Generation.account_id == account_id, column.in_(chunk))
            for g in session.exec(query):
                found[(name, getattr(g, column.key))] = g
    return [found.get(('idempotency', i)) or found.get(('external', e)) for i, e in wanted]


def _ids_by_unique_key(account_id: int, column, values: list[str]):
    """The ids of the account's generations whose `column` (a unique key with the account) is one of `values`,
    one lookup of the unique index per value. `account_id = $1 AND column IN (...)` is planned once for every
    account (a prepared statement's generic plan): on a table without statistics yet (a new database filling
    up fast, before autovacuum's first ANALYZE) PostgreSQL takes the account's index for it and filters every
    row of the account, a cost that grows with each batch. A lookup per value by the whole key cannot be
    planned that way."""
    wanted = func.unnest(literal(values, ARRAY(String))).table_valued('value').render_derived(name='wanted')
    match = (
        select(Generation.id)
        .where(Generation.account_id == account_id, column == wanted.c.value)
        .limit(1)  # keeps the lookup a subquery run per value, never a join the planner could turn around
        .lateral('match')
    )
    return select(match.c.id).select_from(wanted).join(match, true())


def _chunks(values: list[str], size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def prepare_generation(
    catalog: Catalog,
    account: Account,
    payload: GenerationIn,
    *,
    api_key_id: int | None = None,
    idempotency_key: str | None = None,
    rng: random.Random | None = None,
    now: datetime | None = None,
    generation_id: str | None = None,
) -> dict[str, Any]:
    """The columns of the record to store, computed from the catalog alone (pure: no database)."""
    if payload.model not in catalog.models:
        raise IngestError('model', f'unknown model {payload.model!r}; see GET /api/v1/models')
    if payload.region is not None and payload.region not in catalog.regions:
        raise IngestError('region', f'unknown region {payload.region!r}')
    if payload.provider is not None and payload.provider not in catalog.providers:
        raise IngestError('provider', f'unknown provider {payload.provider!r}')
    offer = _resolve_offer(catalog, payload)
    provider = payload.provider or offer.provider
    region = payload.region or offer.region
    if payload.cost is not None:
        try:
            cost = parse_amount(payload.cost)
        except MoneyError as error:
            raise IngestError('cost', str(error)) from None
    else:
        cost = offer_cost_micros(catalog, offer, payload.prompt_tokens, payload.completion_tokens, account.currency)
    impact = eco.estimate(
        catalog,
        payload.model,
        provider,
        region,
        payload.completion_tokens,
        prompt_tokens=payload.prompt_tokens,
        latency_ms=payload.latency_ms,
    )
    return dict(
        # seeded (demo, benchmark) histories are recorded as they happen: their ids carry created_at
        id=generation_id or new_generation_id(rng, now or (payload.created_at if rng is not None else None)),
        account_id=account.id,
        api_key_id=api_key_id,
        external_id=payload.external_id,
        idempotency_key=idempotency_key,
        created_at=payload.created_at or now or utcnow(),
        requested_model=payload.requested_model or payload.model,
        model=payload.model,
        provider=provider,
        region=region,
        prompt_tokens=payload.prompt_tokens,
        completion_tokens=payload.completion_tokens,
        total_tokens=payload.prompt_tokens + payload.completion_tokens,
        latency_ms=payload.latency_ms,
        ttft_ms=payload.ttft_ms,
        status=payload.status,
        cost_micros=cost,
        currency=account.currency,
        **impact.columns(),  # energy, carbon, embodied, grid, PUE, methodology stamp, estimated
        routing_trace=strip_content(payload.routing_trace) if payload.routing_trace else None,
    )


def store_generations(session: Session, rows: list[dict[str, Any]]) -> int:
    """Insert generations (column dicts from `prepare_generation`) and add them to their hourly rollups,
    in the caller's transaction."""
    if not rows:
        return 0
    # Core, on the session's connection: the ORM's bulk machinery, and even its execute, cost more than the row
    session.connection().execute(_insert_generations(), rows)
    add_to_totals(session, rows)
    return len(rows)


@cache
def _insert_generations():
    return insert(Generation.__table__)


def add_to_totals(session: Session, rows: list[dict[str, Any]]) -> None:
    """Add stored generations (column dicts) to the hourly rollups and to their keys' spend, in the caller's
    transaction: every writer of generations calls this, so totals and spend limits cannot drift apart."""
    add_to_rollups(session, rows)
    note_generations(session, rows)  # told to open pages once committed
    add_spend(
        session,
        ((r['account_id'], r['api_key_id'], recording_hour(r), r['cost_micros']) for r in rows if r['api_key_id']),
    )


def strip_content(value: Any) -> Any:
    """Drop any content-bearing key at any depth (a trace describes decisions, never text)."""
    if isinstance(value, dict):
        return {k: strip_content(v) for k, v in value.items() if k not in CONTENT_FIELDS}
    if isinstance(value, list):
        return [strip_content(v) for v in value]
    return value


def _resolve_offer(catalog: Catalog, payload: GenerationIn):
    offers = [
        o
        for o in catalog.offers_for(payload.model)
        if payload.provider in (None, o.provider) and payload.region in (None, o.region)
    ]
    if offers:
        return min(offers, key=lambda o: (o.input_usd_per_mtok + o.output_usd_per_mtok, o.provider, o.region))
    if payload.provider is not None and payload.region is not None and payload.cost is not None:
        # An outside router served it somewhere we do not list: keep what it says, priced by its own cost.
        return catalog.cheapest_offer(payload.model)
    field = 'region' if payload.region is not None else 'provider'
    raise IngestError(
        field, f'{payload.model} is not offered by that provider/region; give a cost or see GET /api/v1/models'
    )
