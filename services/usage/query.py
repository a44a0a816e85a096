"""The usage query: the one place where usage is summed.

Every figure of usage that the app shows or states (the dashboard, /api/v1/usage, the balance, invoices, the
keys' month, the weekly summary, the eco impact) is read here, from the rollups (services/usage/rollups.py),
never from a scan of generations: whole UTC days from usage_day and the ragged hours on the window's edges from
usage_hour. A window [since, until) holds the buckets that start in it (an hour bucket starting before `since`
is left out; one starting before `until` is in), so consecutive windows never share or lose a bucket.

Rows can be grouped by model, provider, region, key, status, methodology version, UTC day or UTC hour (grouping
by hour reads every bucket from usage_hour), and filtered by model, key, provider, region and status. The rollups
split by a generation's status (completed, failed or cancelled; see STATUSES), so every total counts failed and
cancelled generations as requests unless it filters by status. Buckets whose raw generations were pruned before
the rollups split by status count as completed.

For pages that chart long ranges, services/usage/local_days.py sums the same rollups by the same rule, only the
columns asked for, as plain tuples, cutting the account's local days out of whole UTC days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import func
from sqlmodel import Session, select

from services.models import UsageHour
from services.usage.rollups import USAGE, day_of, usage_buckets

Group = Literal['model', 'provider', 'region', 'key', 'status', 'methodology_version', 'day', 'hour']
Status = Literal['completed', 'failed', 'cancelled']  # a generation's status, set once when it is recorded
STATUSES: tuple[Status, ...] = ('completed', 'failed', 'cancelled')
COLUMN = {'model': 'model', 'provider': 'provider', 'region': 'region', 'key': 'api_key_id', 'status': 'status'}
COLUMN |= {'methodology_version': 'methodology_version', 'day': 'period', 'hour': 'period'}
COUNTS = ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', 'estimated_requests')
SUMS = USAGE.sums  # COUNTS (integers) and the eco figures (floats): ENERGY and estimated_energy_wh


@dataclass(frozen=True)
class UsageRow:
    """The sums of one group (the fields it was not grouped by are None); money in micro-units of the account
    currency, energy in Wh, carbon in g CO2e (embodied_g: the manufacturing part of carbon_g)."""

    model: str | None = None
    provider: str | None = None
    region: str | None = None
    key_id: int | None = None  # 0: recorded without a key
    status: str | None = None  # completed | failed | cancelled
    methodology_version: str | None = None
    day: datetime | None = None  # 00:00 UTC
    hour: datetime | None = None
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_micros: int = 0
    energy_wh_low: float = 0.0
    energy_wh: float = 0.0
    energy_wh_high: float = 0.0
    carbon_g_low: float = 0.0
    carbon_g: float = 0.0
    carbon_g_high: float = 0.0
    embodied_g_low: float = 0.0
    embodied_g: float = 0.0
    embodied_g_high: float = 0.0
    estimated_requests: int = 0  # generations whose eco figures rest on estimated inputs
    estimated_energy_wh: float = 0.0  # their energy

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


FIELD = {'key': 'key_id'}  # a group's field in UsageRow where it is not the group's own name


def usage(
    session: Session,
    account_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    group_by: Iterable[Group] = (),
    model: str | None = None,
    key_id: int | None = None,
    provider: str | None = None,
    region: str | None = None,
    status: str | None = None,
) -> list[UsageRow]:
    """The account's usage in [since, until) (None: no bound), one row per group ordered by the groups (times
    first to last); with no group, exactly one row of totals (zeros when nothing was used). A filter left None
    filters nothing; key_id=0 means the generations recorded without a key; status is one of STATUSES."""
    group_by = tuple(group_by)
    unknown = set(group_by) - set(COLUMN)
    if unknown:
        raise ValueError(f'cannot group usage by {", ".join(sorted(unknown))}')
    if status is not None and status not in STATUSES:
        raise ValueError(f'no generation has the status {status!r}')
    window = usage_buckets(account_id, since, until, hourly='hour' in group_by)
    keys = list(dict.fromkeys(COLUMN[g] for g in group_by))  # day and hour share the bucket's start
    query = select(*(window.c[k] for k in keys), *(func.coalesce(func.sum(window.c[s]), 0) for s in SUMS))
    filters = (('model', model), ('api_key_id', key_id), ('provider', provider), ('region', region))
    for column, value in (*filters, ('status', status)):
        if value is not None:
            query = query.where(window.c[column] == value)
    if keys:
        query = query.group_by(*(window.c[k] for k in keys)).order_by(*(window.c[k] for k in keys))
    rows = [
        _row(group_by, dict(zip(keys, values[: len(keys)], strict=True)), values[len(keys) :])
        for values in session.exec(query)
    ]
    return _by_day(group_by, rows) if 'day' in group_by and 'hour' not in group_by else rows


def usage_total(session: Session, account_id: int, **window) -> UsageRow:
    """`usage` with no group: the window's totals (the same keyword arguments)."""
    return usage(session, account_id, **window)[0]


def first_usage(session: Session, account_id: int) -> datetime | None:
    """The start of the account's first hour with usage (None before any), in UTC."""
    first = session.exec(select(func.min(UsageHour.hour)).where(UsageHour.account_id == account_id)).one()
    return None if first is None else _utc(first)


def _row(group_by: tuple[str, ...], groups: dict, sums) -> UsageRow:
    values = {FIELD.get(g, g): _utc(groups[COLUMN[g]]) if g in ('day', 'hour') else groups[COLUMN[g]] for g in group_by}
    if 'day' in values:
        values['day'] = day_of(values['day'])
    for column, value in zip(SUMS, sums, strict=True):
        values[column] = int(value) if column in COUNTS else float(value)  # PostgreSQL sums integers as numeric
    return UsageRow(**values)


def _by_day(group_by: tuple[str, ...], rows: list[UsageRow]) -> list[UsageRow]:
    """Rows grouped by day whose edges came per hour: the hours of a day added into one row, in the groups' order."""
    merged: dict[tuple, UsageRow] = {}
    for row in rows:
        key = tuple(getattr(row, FIELD.get(g, g)) for g in group_by)
        before = merged.get(key)
        merged[key] = (
            row if before is None else replace(before, **{s: getattr(before, s) + getattr(row, s) for s in SUMS})
        )
    return [merged[key] for key in sorted(merged)]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
