"""The public JSON shapes of stored records (one place, so every endpoint says the same thing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator

from services.keys.api_keys import key_status
from services.keys.spend import KeyMonth
from services.models import ApiKey, Generation
from services.money import decimal_string
from services.usage.query import Status
from services.usage.trace_limits import displayable

MAX_ID = 2**31 - 1  # the largest id every database holds (ids are INTEGER columns: 32 bits on PostgreSQL)
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description='the id of the record')]
InvoiceId = Annotated[int, Path(ge=0, le=MAX_ID, description="the invoice's id; 0 is this month's draft")]
KeyFilter = Annotated[int | None, Query(alias='key', ge=1, le=MAX_ID, description='only this key id')]
StatusFilter = Annotated[Status | None, Query(description="only generations of this status (a request's outcome)")]


def _in_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError('needs a time zone, e.g. 2026-11-01T00:00:00Z')
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ValueError('out of range') from None


Moment = Annotated[datetime, AfterValidator(_in_utc)]  # a point in time with its zone, as UTC


def generation_out(g: Generation) -> dict[str, Any]:
    return {
        'id': g.id,
        'created_at': g.created_at.isoformat().replace('+00:00', 'Z'),
        'requested_model': g.requested_model,
        'model': g.model,
        'provider': g.provider,
        'region': g.region,
        'prompt_tokens': g.prompt_tokens,
        'completion_tokens': g.completion_tokens,
        'total_tokens': g.total_tokens,
        'latency_ms': g.latency_ms,
        'status': g.status,
        'cost': decimal_string(g.cost_micros),
        'currency': g.currency,
        'energy_wh': {'low': g.energy_wh_low, 'value': g.energy_wh, 'high': g.energy_wh_high},
        'carbon_g': {'low': g.carbon_g_low, 'value': g.carbon_g, 'high': g.carbon_g_high},
        'embodied_g': {'low': g.embodied_g_low, 'value': g.embodied_g, 'high': g.embodied_g_high},  # in carbon_g
        'input_energy_wh': g.input_energy_wh,  # the prompt tokens' part of energy_wh.value
        'pue': g.pue,  # None on eco-1 records, as grid_basis
        'grid_basis': g.grid_basis,
        'grid_intensity_g_per_kwh': g.grid_intensity_g_per_kwh,
        'methodology_version': g.methodology_version,
        'estimated': g.estimated,
        'external_id': g.external_id,
        'key_id': g.api_key_id,
        'routing_trace': displayable(g.routing_trace),
    }


def key_out(key: ApiKey, usage: KeyMonth | None = None) -> dict[str, Any]:
    usage = usage or KeyMonth()
    return {
        'id': key.id,
        'name': key.name,
        'prefix': key.prefix,
        'scopes': key.scopes,
        'spend_limit': None if key.spend_limit_micros is None else decimal_string(key.spend_limit_micros),
        'allowed_models': key.allowed_models,
        'expires_at': _iso(key.expires_at),
        'created_at': _iso(key.created_at),
        'last_used_at': _iso(key.last_used_at),
        'revoked_at': _iso(key.revoked_at),
        'status': key_status(key),
        'usage_this_month': {
            'cost': decimal_string(usage.cost_micros),
            'tokens': usage.tokens,
            'requests': usage.requests,
        },
    }


def _iso(moment) -> str | None:
    return None if moment is None else moment.isoformat().replace('+00:00', 'Z')
