"""The tables. Money is integer micro-units of the account currency; times are timezone-aware UTC
(SQLModel stores them as UTC and returns them aware).

There is deliberately no column for prompt or response content anywhere.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Now, as the aware UTC datetime every table stores."""
    return datetime.now(UTC)


class Account(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    email: str | None = Field(default=None, max_length=254)
    currency: str = Field(default='USD', max_length=3)
    timezone: str = Field(default='UTC', max_length=64)
    locale: str | None = Field(default=None, max_length=16)  # None: pages follow the browser (services/locales.py)
    eco_baseline_model: str = Field(default='openai/gpt-4o', max_length=120)
    low_balance_threshold_micros: int = Field(default=5_000_000, sa_type=BigInteger)
    notification_prefs: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    receipt_seq: int = Field(default=0, sa_column_kwargs={'server_default': '0'})  # last receipt number issued
    is_demo: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    retention_days: int | None = None  # raw generations older than this are deleted; None keeps them all
    pruned_before: datetime | None = None  # every generation created before this instant has been deleted
    pruned_at: datetime | None = None  # when the last pruning ran


class ApiKey(SQLModel, table=True):
    __tablename__ = 'api_key'

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    name: str = Field(max_length=120)
    prefix: str = Field(max_length=16)
    secret_hash: str = Field(max_length=64, unique=True)
    previous_secret_hash: str | None = Field(default=None, max_length=64, index=True)  # during a rotation's grace
    previous_secret_valid_until: datetime | None = None
    scopes: list[str] = Field(default_factory=list, sa_type=JSON)
    spend_limit_micros: int | None = Field(default=None, sa_type=BigInteger)
    allowed_models: list[str] | None = Field(default=None, sa_type=JSON)
    expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class Generation(SQLModel, table=True):
    __table_args__ = (
        Index('ix_generation_account_created', 'account_id', 'created_at', 'id'),
        Index('ix_generation_account_model_created', 'account_id', 'model', 'created_at', 'id'),
        Index('ix_generation_account_key_created', 'account_id', 'api_key_id', 'created_at', 'id'),
        UniqueConstraint('account_id', 'external_id', name='uq_generation_external_id'),
        UniqueConstraint('account_id', 'idempotency_key', name='uq_generation_idempotency_key'),
    )

    id: str = Field(primary_key=True, max_length=40)
    account_id: int = Field(foreign_key='account.id')
    api_key_id: int | None = Field(default=None, foreign_key='api_key.id')
    external_id: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=200)
    created_at: datetime
    requested_model: str = Field(max_length=120)
    model: str = Field(max_length=120)
    provider: str = Field(max_length=60)
    region: str = Field(max_length=60)
    prompt_tokens: int = Field(sa_type=BigInteger)
    completion_tokens: int = Field(sa_type=BigInteger)
    total_tokens: int = Field(sa_type=BigInteger)
    latency_ms: int | None = None
    ttft_ms: int | None = None  # time to first token, of a stream
    status: str = Field(default='completed', max_length=20)  # completed | failed | cancelled
    cost_micros: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    energy_wh_low: float
    energy_wh: float
    energy_wh_high: float
    carbon_g_low: float
    carbon_g: float
    carbon_g_high: float
    grid_intensity_g_per_kwh: float
    # eco-2: the manufacturing (embodied) part of carbon_g in g CO2e, and the prompt tokens' part of energy_wh
    # (central, Wh); eco-1 records hold 0 and None in these and in pue and grid_basis
    embodied_g_low: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})
    embodied_g: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})
    embodied_g_high: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})
    input_energy_wh: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})
    pue: float | None = None  # of the datacentre that served it
    grid_basis: str | None = Field(default=None, max_length=20)  # its grid intensity's: region|zone|country|world
    methodology_version: str = Field(max_length=80)
    estimated: bool = False
    routing_trace: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class UsageRollup(SQLModel):
    """A usage rollup's bucket (all but its time) and what it adds up there (money in micro-units, energy in
    Wh, carbon in g): the columns usage_hour and usage_day share."""

    account_id: int = Field(foreign_key='account.id')
    api_key_id: int = 0  # 0: recorded without a key
    model: str = Field(max_length=120)
    provider: str = Field(max_length=60)
    region: str = Field(max_length=60)
    methodology_version: str = Field(max_length=80)
    status: str = Field(default='completed', max_length=20, sa_column_kwargs={'server_default': 'completed'})

    requests: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_micros: int = Field(default=0, sa_type=BigInteger)
    energy_wh_low: float = 0.0
    energy_wh: float = 0.0
    energy_wh_high: float = 0.0
    carbon_g_low: float = 0.0
    carbon_g: float = 0.0
    carbon_g_high: float = 0.0
    embodied_g_low: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})  # part of carbon_g; eco-2
    embodied_g: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})
    embodied_g_high: float = Field(default=0.0, sa_column_kwargs={'server_default': '0'})
    estimated_requests: int = Field(default=0, sa_type=BigInteger)
    estimated_energy_wh: float = 0.0


class UsageHour(UsageRollup, table=True):
    """Rollup per UTC hour x key x model x provider x region x status, written with its generations."""

    __tablename__ = 'usage_hour'
    __table_args__ = (
        UniqueConstraint(
            'account_id',
            'hour',
            'api_key_id',
            'model',
            'provider',
            'region',
            'methodology_version',
            'status',
            name='uq_usage_hour_bucket',
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    hour: datetime


class UsageDay(UsageRollup, table=True):
    """UsageHour summed per UTC day: windows of weeks and months (and the all-time balance) read whole
    days here and only their ragged edges from usage_hour, so their cost does not grow with traffic."""

    __tablename__ = 'usage_day'
    __table_args__ = (
        UniqueConstraint(
            'account_id', 'day', 'api_key_id', 'model', 'provider', 'region', 'methodology_version', 'status',
            name='uq_usage_day_bucket',
        ),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    day: datetime  # 00:00 UTC


class RouteHour(SQLModel, table=True):
    """Rollup of completed generations per UTC hour x key x requested model x where they ran: what the
    what-if preview replays, so it never scans generations (and still works after pruning)."""

    __tablename__ = 'route_hour'
    __table_args__ = (
        UniqueConstraint(
            'account_id', 'hour', 'api_key_id', 'requested_model', 'model', 'provider', 'region',
            name='uq_route_hour_bucket',
        ),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id')
    hour: datetime
    api_key_id: int = 0  # 0: recorded without a key
    requested_model: str = Field(max_length=120)
    model: str = Field(max_length=120)
    provider: str = Field(max_length=60)
    region: str = Field(max_length=60)
    requests: int = Field(default=0, sa_type=BigInteger)
    prompt_tokens: int = Field(default=0, sa_type=BigInteger)
    completion_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_micros: int = Field(default=0, sa_type=BigInteger)
    energy_wh: float = 0.0
    carbon_g: float = 0.0


class KeySpend(SQLModel, table=True):
    """What a key spent, per UTC hour in which it was *recorded* (whatever `created_at` the generations say):
    a key's monthly spend limit counts this, so backdating cannot dodge it. The router's reservations for
    requests in flight are counted here too, and settled to the real cost when the request ends."""

    __tablename__ = 'key_spend'
    __table_args__ = (UniqueConstraint('api_key_id', 'hour', name='uq_key_spend_hour'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    api_key_id: int = Field(foreign_key='api_key.id')
    hour: datetime
    cost_micros: int = Field(default=0, sa_type=BigInteger)


class LedgerEntry(SQLModel, table=True):
    """Money in or out that is not usage: top-ups, refunds, adjustments. Usage comes from generations."""

    __tablename__ = 'ledger_entry'
    __table_args__ = (UniqueConstraint('account_id', 'idempotency_key', name='uq_ledger_idempotency_key'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    kind: str = Field(max_length=20)  # top_up | refund | adjustment
    amount_micros: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    method: str | None = Field(default=None, max_length=40)
    idempotency_key: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Receipt(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint('account_id', 'number', name='uq_receipt_number'),
        UniqueConstraint('ledger_entry_id', name='uq_receipt_ledger_entry'),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    ledger_entry_id: int = Field(foreign_key='ledger_entry.id')
    seq: int = Field(default=0, sa_column_kwargs={'server_default': '0'})
    number: str = Field(max_length=40)
    issued_at: datetime = Field(default_factory=utcnow)
    amount_micros: int = Field(sa_type=BigInteger)
    currency: str = Field(max_length=3)
    method: str | None = Field(default=None, max_length=40)
    reference: str | None = Field(default=None, max_length=80)


class Invoice(SQLModel, table=True):
    __table_args__ = (UniqueConstraint('account_id', 'number', name='uq_invoice_number'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    number: str = Field(max_length=40)
    period_start: datetime
    period_end: datetime
    status: str = Field(default='draft', max_length=20)
    total_micros: int = Field(default=0, sa_type=BigInteger)
    currency: str = Field(max_length=3)
    issued_at: datetime | None = None
    snapshot: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class InvoiceDocument(SQLModel, table=True):
    """An issued invoice's PDF, rendered once from its snapshot when it is issued: the page, the API and every
    later download answer these very bytes (services/billing/invoices.py)."""

    __tablename__ = 'invoice_document'

    invoice_id: int = Field(foreign_key='invoice.id', primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    pdf: bytes = Field(sa_type=LargeBinary)


class RoutingPolicy(SQLModel, table=True):
    """Account defaults for lowrouter/auto (api_key_id is None) and per-key overrides of them."""

    __tablename__ = 'routing_policy'
    __table_args__ = (UniqueConstraint('account_id', 'api_key_id', name='uq_routing_policy_scope'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    api_key_id: int | None = Field(default=None, foreign_key='api_key.id')
    settings: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow)


class Notification(SQLModel, table=True):
    """An in-app notification; `dedupe_key` makes queueing the same event twice a no-op."""

    __table_args__ = (UniqueConstraint('account_id', 'dedupe_key', name='uq_notification_dedupe'),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    kind: str = Field(max_length=40)  # low_balance | receipt | invoice | weekly_summary | key_limit
    title: str = Field(max_length=200)
    body: str = Field(default='', max_length=2000)
    link: str | None = Field(default=None, max_length=200)
    dedupe_key: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class AppSetting(SQLModel, table=True):
    """Installation-wide values shared by every app process (e.g. the session-signing secret)."""

    __tablename__ = 'app_setting'

    key: str = Field(primary_key=True, max_length=60)
    value: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class Outbox(SQLModel, table=True):
    """An e-mail to deliver. One row per event (`dedupe_key`), claimed with a lease, retried with backoff."""

    __table_args__ = (
        UniqueConstraint('account_id', 'dedupe_key', name='uq_outbox_dedupe'),
        Index('ix_outbox_due', 'status', 'next_attempt_at'),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key='account.id', index=True)
    kind: str = Field(max_length=40)  # low_balance | receipt | invoice | weekly_summary | key_limit
    dedupe_key: str = Field(max_length=200)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    text_body: str
    html_body: str
    attachment_kind: str | None = Field(default=None, max_length=20)  # receipt | invoice: rendered at send time
    attachment_id: int | None = None
    status: str = Field(default='pending', max_length=20)  # pending | sending | sent | failed
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


ACCOUNT_TABLES = (Outbox, Notification, RoutingPolicy, InvoiceDocument, Invoice, Receipt, LedgerEntry, RouteHour,
                  UsageDay, UsageHour, Generation, KeySpend, ApiKey)  # fmt: skip
"""Every table holding rows of an account, children first: deleting in this order keeps foreign keys happy."""
