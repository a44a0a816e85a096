"""Usage aggregates for the API, grouped by model, provider, region, key, status or local day, through the usage
query."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from services.models import Account
from services.timeutil import local
from services.usage.query import Status, usage

GroupBy = Literal['model', 'provider', 'region', 'key', 'status', 'day']
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
    provider: str | None = None,
    region: str | None = None,
    status: Status | None = None,
) -> list[dict]:
    """One row per group with requests, tokens, cost (micro-units), energy and carbon; rollups are hourly,
    so `since` is rounded down to the hour (an hour counts when it starts before `until`) and a day is the
    account's local day (read per hour, since a UTC day of the daily rollup straddles two local days). A filter
    left None filters nothing."""
    if since is not None:
        since = since.replace(minute=0, second=0, microsecond=0)
    group = 'hour' if group_by == 'day' else group_by
    filters = {'model': model, 'key_id': key_id, 'provider': provider, 'region': region, 'status': status}
    found = usage(session, account.id, since=since, until=until, group_by=(group,), **filters)
    groups: dict[object, dict[str, float]] = defaultdict(lambda: dict.fromkeys(SUMMED, 0))
    for row in found:
        if group_by == 'day':
            name = local(row.hour, account.timezone).date().isoformat()
        elif group_by == 'key':
            name = row.key_id or None
        else:
            name = getattr(row, group_by)
        for column in SUMMED:
            groups[name][column] += getattr(row, column)
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
