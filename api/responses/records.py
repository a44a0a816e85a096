"""Answers about stored records: generations, usage, keys, credits, billing documents, retention, routing."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from api.bodies import Scope
from api.responses.common import NEXT_CURSOR, Link, Money, Number, Out, Span, Time
from services.routing.engine import Strategy

Source = Literal['account', 'key']


class GenerationOut(Out):
    """One recorded generation with its cost, eco figures and routing trace."""

    id: str
    created_at: Time
    requested_model: str
    model: str
    provider: str
    region: str
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    latency_ms: int | None
    status: str = Field(description='completed, failed or cancelled')
    cost: Money
    currency: str
    energy_wh: Span
    carbon_g: Span = Field(description='g CO2e: electricity and manufacturing')
    embodied_g: Span = Field(description='g CO2e: the manufacturing part of carbon_g')
    input_energy_wh: Number | None = Field(description="the prompt tokens' part of energy_wh.value")
    pue: Number | None = Field(description='of the datacentre that served it; null on eco-1 records')
    grid_basis: str | None = Field(description='region, zone, country or world; null on eco-1 records')
    grid_intensity_g_per_kwh: Number
    methodology_version: str
    estimated: bool
    external_id: str | None
    key_id: int | None
    routing_trace: dict[str, Any] | None = Field(description='how the route was picked; null when not routed here')


class GenerationPage(Out):
    items: list[GenerationOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class GenerationBatchOut(Out):
    items: list[GenerationOut] = Field(description='every generation of the batch, in its order, as stored')
    created: int = Field(description='how many were new (the others were stored by an earlier try)')


class UsageRow(Out):
    group: str | int | None = Field(
        description='the model, provider, region, key id (null: no key), status or local day'
    )
    requests: int
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    cost: Money
    energy_wh: Number
    carbon_g: Number


class UsageOut(Out):
    group_by: Literal['model', 'provider', 'region', 'key', 'status', 'day']
    currency: str
    timezone: str
    items: list[UsageRow]


class CreditsOut(Out):
    balance: Money
    spent_this_month: Money
    currency: str


class KeyUsage(Out):
    cost: Money
    tokens: int
    requests: int


class KeyOut(Out):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    spend_limit: Money | None = Field(description='per calendar month; null: no limit')
    allowed_models: list[str] | None = Field(description='null: every model')
    expires_at: Time | None
    created_at: Time
    last_used_at: Time | None
    revoked_at: Time | None
    status: Literal['active', 'expired', 'revoked']
    usage_this_month: KeyUsage


class KeyWithSecret(KeyOut):
    secret: str = Field(description='shown this once: store it now')


class KeyPage(Out):
    items: list[KeyOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class MethodOut(Out):
    id: str
    label: str


class MethodsOut(Out):
    gateway: str
    items: list[MethodOut]


class ReceiptOut(Out):
    id: int
    number: str
    issued_at: Time
    amount: Money
    currency: str
    method: str
    reference: str | None
    pdf: Link


class ReceiptPage(Out):
    items: list[ReceiptOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class TopUpEntry(Out):
    id: int
    amount: Money


class TopUpOut(Out):
    top_up: TopUpEntry
    receipt: ReceiptOut


class InvoiceOut(Out):
    id: int = Field(description="0 is this month's draft")
    number: str
    status: str = Field(description='draft or issued')
    period_start: Time
    period_end: Time
    total: Money
    opening_balance: Money
    closing_balance: Money
    currency: str
    pdf: Link


class InvoicePage(Out):
    items: list[InvoiceOut]
    next_cursor: str | None = Field(description=NEXT_CURSOR)


class RetentionOut(Out):
    retention_days: int | None = Field(description='null: every generation is kept')
    pruned_before: Time | None = Field(description='generations recorded before this have been deleted')
    pruned_at: Time | None = Field(description='when pruning last ran')
    pruned_generations: int
    next_cutoff: Time | None = Field(description='the next pruning deletes what was recorded before this')
    awaiting_pruning: int = Field(description='generations older than next_cutoff that are still stored')


class PolicyOut(Out):
    """A whole routing policy, as it is applied. A field saved as null is null here too: routing reads a null
    allow_fallbacks as false, null blocked lists as empty, and a null auto pool as the built-in pool."""

    strategy: Strategy
    prefer_region: str | None
    fixed_provider: str | None
    allow_fallbacks: bool | None
    max_price_per_mtok: str | None = Field(description='USD per million tokens, a decimal string; null: no limit')
    max_latency_ms: int | None
    allowed_providers: list[str] | None = Field(description='null: every provider')
    blocked_providers: list[str] | None
    allowed_regions: list[str] | None = Field(description='null: every region')
    blocked_regions: list[str] | None
    auto_pool: list[str] | None


class PolicyOverride(Out):
    """The fields a key overrides; the ones left out inherit the account defaults."""

    strategy: Strategy | None = None
    prefer_region: str | None = None
    fixed_provider: str | None = None
    allow_fallbacks: bool | None = None
    max_price_per_mtok: str | None = None
    max_latency_ms: int | None = None
    allowed_providers: list[str] | None = None
    blocked_providers: list[str] | None = None
    allowed_regions: list[str] | None = None
    blocked_regions: list[str] | None = None
    auto_pool: list[str] | None = None


class PolicySources(Out):
    """Where each setting in force comes from."""

    strategy: Source
    prefer_region: Source
    fixed_provider: Source
    allow_fallbacks: Source
    max_price_per_mtok: Source
    max_latency_ms: Source
    allowed_providers: Source
    blocked_providers: Source
    allowed_regions: Source
    blocked_regions: Source
    auto_pool: Source


class KeyRoutingOut(Out):
    override: PolicyOverride
    effective: PolicyOut
    sources: PolicySources
