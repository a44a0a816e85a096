"""Factories that seed test data through the services, the way the app itself writes it.

Every factory takes `session=` (keyword): given, the rows are written in that session and the caller commits;
left out, the factory opens its own transaction (`db.session_scope()`) and commits it before returning. Rows
come back usable after their session closed (sessions here do not expire on commit).

Generations go through `record_generation`, the one ingestion path, so their hourly rollups, route rollups and
key spend are written with them and every total stays consistent. Top-ups go through the ledger service, so
each has its receipt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlmodel import Session

from services import db
from services.account.accounts import create_account
from services.billing import ledger
from services.billing.invoices import ensure_invoices
from services.catalog import Offer, get_catalog
from services.keys.api_keys import NewKey, create_key
from services.models import Account, Generation, LedgerEntry
from services.notifications import queue as notifications
from services.routing import policies
from services.usage.ingest import record_generation

DEFAULT_MODEL = 'openai/gpt-4o-mini'


@contextmanager
def writing(session: Session | None) -> Iterator[Session]:
    """`session` itself when given (the caller commits), else a new transaction committed on leaving."""
    if session is not None:
        yield session
        return
    with db.session_scope() as scope:
        yield scope


def account(
    *,
    session: Session | None = None,
    name: str = 'Acme',
    currency: str = 'USD',
    timezone: str = 'UTC',
    **fields: Any,
) -> Account:
    """A new account; `fields` set further columns afterwards (e.g. email, low_balance_threshold_micros)."""
    with writing(session) as s:
        new = create_account(s, name=name, currency=currency, timezone=timezone)
        for column, value in fields.items():
            setattr(new, column, value)
        s.flush()
        return new


def api_key(
    owner: Account | int,
    *,
    session: Session | None = None,
    name: str = 'test',
    scopes: Iterable[str] = ('inference',),
    **fields: Any,
) -> NewKey:
    """A key of `owner` (an account or its id) with its secret (`.key`, `.secret`); `fields`: spend_limit, expiry..."""
    with writing(session) as s:
        holder = owner if isinstance(owner, Account) else s.get(Account, owner)
        return create_key(s, holder, name=name, scopes=list(scopes), **fields)


def bearer(new_key: NewKey) -> dict[str, str]:
    """The HTTP headers that authenticate with `new_key`."""
    return {'Authorization': f'Bearer {new_key.secret}'}


def offer_of(model: str) -> Offer:
    """The first catalog offer of `model` (its provider and region)."""
    return get_catalog().offers_for(model)[0]


def generation(
    owner: Account,
    *,
    session: Session | None = None,
    model: str = DEFAULT_MODEL,
    prompt_tokens: int = 100,
    completion_tokens: int = 40,
    offer: Offer | None = None,
    api_key_id: int | None = None,
    **fields: Any,
) -> Generation:
    """One generation recorded through ingestion, with its rollups; `offer` sets model, provider and region;
    `fields` are any other ingestion fields (created_at, provider, region, latency_ms, status...)."""
    data: dict[str, Any] = {'model': model, 'prompt_tokens': prompt_tokens, 'completion_tokens': completion_tokens}
    if offer is not None:
        data |= {'model': offer.model, 'provider': offer.provider, 'region': offer.region}
    with writing(session) as s:
        return record_generation(s, owner, data | fields, api_key_id=api_key_id)[0]


def generations(
    owner: Account,
    payloads: Iterable[Mapping[str, Any]],
    *,
    session: Session | None = None,
    api_key_id: int | None = None,
) -> list[Generation]:
    """Generations recorded through ingestion in one transaction, one per payload: ingestion fields (the model
    defaults to DEFAULT_MODEL), plus `api_key_id` per payload to override the common one."""
    with writing(session) as s:
        recorded = []
        for payload in payloads:
            fields = {'model': DEFAULT_MODEL} | dict(payload)
            key_id = fields.pop('api_key_id', api_key_id)
            recorded.append(record_generation(s, owner, fields, api_key_id=key_id)[0])
        return recorded


def top_up(
    owner: Account,
    amount: str = '10.00',
    *,
    session: Session | None = None,
    method: str = 'manual',
    idempotency_key: str = 'top-up',
    at: datetime | None = None,
) -> ledger.TopUp:
    """A top-up through the ledger service (with its receipt); `at` back-dates its ledger entry."""
    with writing(session) as s:
        made = ledger.top_up(s, owner, amount, method=method, idempotency_key=idempotency_key)
        if at is not None:
            s.get(LedgerEntry, made.entry.id).created_at = at
            s.flush()
        return made


def ledger_entry(
    owner: Account, amount_micros: int, *, session: Session | None = None, kind: str = 'top_up', **fields: Any
) -> LedgerEntry:
    """A ledger row written directly (no payment, no receipt), in the account's currency."""
    with writing(session) as s:
        entry = LedgerEntry(
            account_id=owner.id, kind=kind, amount_micros=amount_micros, currency=owner.currency, **fields
        )
        s.add(entry)
        s.flush()
        return entry


def invoices(owner: Account, *, session: Session | None = None, now: datetime | None = None) -> int:
    """Issue the invoices of the account's closed months, as the monthly job does; returns how many were new."""
    with writing(session) as s:
        return ensure_invoices(s, owner, now=now)


def notification(
    owner: Account,
    *,
    session: Session | None = None,
    kind: str = 'receipt',
    title: str = 'Receipt',
    body: str = '',
    link: str | None = None,
    dedupe_key: str = 'n',
) -> None:
    """A notification in the bell, queued by the service (once per dedupe key)."""
    with writing(session) as s:
        notifications.queue(s, owner, kind=kind, title=title, body=body, link=link, dedupe_key=dedupe_key)


def routing_policy(
    owner: Account, settings: dict[str, Any], *, session: Session | None = None, key_id: int | None = None
) -> dict[str, Any]:
    """The account's routing defaults, or with `key_id` that key's override, saved through the service."""
    with writing(session) as s:
        if key_id is None:
            return policies.set_account_settings(s, owner, settings)
        return policies.set_key_override(s, owner, key_id, settings)
