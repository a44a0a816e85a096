"""The answer of GET /api/v1/usage/series: what the /usage page charts and tabulates."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from api.responses.common import Number, Out

Metric = Literal['requests', 'tokens', 'cost', 'energy', 'carbon']
SeriesGroup = Literal['model', 'provider', 'region', 'key', 'status']


class SeriesRange(Out):
    preset: str = Field(description='today, 7d, 30d, this_month, last_month, 90d or custom')
    first_day: str = Field(description='the first local day, YYYY-MM-DD')
    last_day: str = Field(description='the last local day (included), YYYY-MM-DD')
    timezone: str
    since: str = Field(description='local midnight starting the range, in UTC (ISO 8601)')
    until: str = Field(description='local midnight ending the range, in UTC (exclusive)')
    bucket: Literal['hour', 'day', 'week'] = Field(description='chosen from the length of the range')
    note: str | None = Field(description='how days are cut where the zone is not a whole number of hours from UTC')


class SeriesGroupOut(Out):
    value: str | int = Field(description="what a filter by this group takes: a name, a status, or a key's id")
    label: str = Field(description="what the page shows: a key's name for a key")
    total: str | Number = Field(description='the metric over the range; cost as a decimal string with 6 decimals')
    share: float = Field(description="of the range's total, 0 to 1")
    previous: str | Number = Field(description='the metric over the period of the same length just before')
    change: float | None = Field(description='(total - previous) / previous; null when previous is 0 (a new group)')
    values: list[str | Number] = Field(description='the metric per bucket, in the order of `buckets`')


class SeriesOut(Out):
    range: SeriesRange
    metric: Metric
    unit: str = Field(description="'' for counts, the currency for cost, Wh for energy, g CO2e for carbon")
    group_by: SeriesGroup
    currency: str
    buckets: list[str] = Field(description='the local start of every bucket, ISO 8601 with its offset')
    total: str | Number
    previous_total: str | Number
    groups: list[SeriesGroupOut] = Field(description='every group, largest total first')
