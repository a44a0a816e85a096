"""CSV export of generations: streamed row by row, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from services import db
from services.generation_queries import GenerationFilter, stream
from services.models import Account
from services.money import decimal_string
from services.timeutil import local

COLUMNS = (
    'id', 'created_at_utc', 'created_at_local', 'key_id', 'requested_model', 'model', 'provider', 'region',
    'prompt_tokens', 'completion_tokens', 'total_tokens', 'latency_ms', 'status', 'cost', 'currency',
    'energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high',
    'grid_intensity_g_per_kwh', 'methodology_version', 'estimated', 'external_id',
)  # fmt: skip
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')


def generations_csv(account: Account, f: GenerationFilter) -> Iterator[str]:
    """Header then one line per generation, newest first; opens its own session so it can outlive a request."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    yield _drain(buffer)
    with db.read_scope() as session:
        for count, g in enumerate(stream(session, account.id, f), start=1):
            writer.writerow(
                [
                    safe_cell(v)
                    for v in (
                        g.id,
                        g.created_at.isoformat(),
                        local(g.created_at, account.timezone).isoformat(),
                        g.api_key_id,
                        g.requested_model,
                        g.model,
                        g.provider,
                        g.region,
                        g.prompt_tokens,
                        g.completion_tokens,
                        g.total_tokens,
                        g.latency_ms,
                        g.status,
                        decimal_string(g.cost_micros),
                        g.currency,
                        g.energy_wh,
                        g.energy_wh_low,
                        g.energy_wh_high,
                        g.carbon_g,
                        g.carbon_g_low,
                        g.carbon_g_high,
                        g.grid_intensity_g_per_kwh,
                        g.methodology_version,
                        g.estimated,
                        g.external_id,
                    )
                ]  # fmt: skip
            )
            if count % 500 == 0:
                yield _drain(buffer)
    yield _drain(buffer)


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return '' if value is None else value


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
