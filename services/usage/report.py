"""Usage aggregates for the API, grouped by model, provider, region, key or local day, from rollups."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, select

from services.models import Account, UsageHour
from services.timeutil import local

GroupBy = Literal['model', 'provider', 'region', 'key', 'day']
SUMMED = ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', 'energy_wh', 'carbon_g')


def usage_grouped(
    session: Session,
    account: Account,
    group_by: GroupBy,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    model: str | None = None,
    key_id: int | None = None,
) -> list[dict]:
    """One row per group with requests, tokens, cost (micro-units), energy and carbon; rollups are hourly,
    so `since`/`until` are rounded down to the hour and a day is the account's local day."""
    group_column = {
        'model': UsageHour.model,
        'provider': UsageHour.provider,
        'region': UsageHour.region,
        'key': UsageHour.api_key_id,
        'day': UsageHour.hour,
    }[group_by]
    query = (
        select(group_column, *(func.sum(getattr(UsageHour, c)) for c in SUMMED))
        .where(UsageHour.account_id == account.id)
        .group_by(group_column)
    )
    if since is not None:
        query = query.where(UsageHour.hour >= since.replace(minute=0, second=0, microsecond=0))
    if until is not None:
        query = query.where(UsageHour.hour < until)
    if model is not None:
        query = query.where(UsageHour.model == model)
    if key_id is not None:
        query = query.where(UsageHour.api_key_id == key_id)
    groups: dict[object, dict[str, float]] = defaultdict(lambda: dict.fromkeys(SUMMED, 0))
    for group, *sums in session.exec(query):
        if group_by == 'day':
            group = local(group, account.timezone).date().isoformat()
        elif group_by == 'key':
            group = group or None
        for column, value in zip(SUMMED, sums, strict=True):
            groups[group][column] += value
    rows = [
        {
            'group': group,
            'requests': int(v['requests']),
            'prompt_tokens': int(v['prompt_tokens']),
            'completion_tokens': int(v['completion_tokens']),
            'total_tokens': int(v['prompt_tokens'] + v['completion_tokens']),
            'cost_micros': int(v['cost_micros']),
            'energy_wh': float(v['energy_wh']),
            'carbon_g': float(v['carbon_g']),
        }
        for group, v in groups.items()
    ]
    if group_by == 'day':
        return sorted(rows, key=lambda r: r['group'])
    return sorted(rows, key=lambda r: (-r['total_tokens'], str(r['group'])))
