"""The usage explorer behind /usage: a metric over time per group, with each group's totals and its change.

Reads the rollups through the usage query (never raw generations): per UTC hour for ranges charted per hour,
else per local day (whole UTC days and only the hours cut by local midnights, so the cost does not grow with the
hours that hold usage), and reshapes them with pandas: each UTC hour counts in the bucket of the range (an hour,
a local day or a Monday-week of the account's time zone) where it starts, every bucket of the range is kept (an
empty one is zero), and the groups are ordered by their total. Counts and money stay integers (int64; money in
micro-units of the account's currency) up to the text shown or exported; energy (Wh) and carbon (g CO2e) are
floats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlmodel import Session, select

from services import locales
from services.locales import DEFAULT
from services.models import Account, ApiKey
from services.usage.local_days import usage_by_hour, usage_by_local_day, usage_sums
from services.usage.ranges import DateRange, bucket_starts

METRICS = ('requests', 'tokens', 'cost', 'energy', 'carbon')
GROUPS = ('model', 'provider', 'region', 'key', 'status')
FILTERS = ('model', 'provider', 'region', 'key_id', 'status')  # the usage query's filter arguments
COLUMN = {
    'requests': 'requests',
    'tokens': 'tokens',
    'cost': 'cost_micros',
    'energy': 'energy_wh',
    'carbon': 'carbon_g',
}
FIELD = {'model': 'model', 'provider': 'provider', 'region': 'region', 'key': 'key_id', 'status': 'status'}
FILTER_OF_GROUP = {'model': 'model', 'provider': 'provider', 'region': 'region', 'key': 'key_id', 'status': 'status'}
INTEGER_COLUMNS = ('requests', 'tokens', 'cost_micros')
FLOAT_COLUMNS = ('energy_wh', 'carbon_g')
VALUE_COLUMNS = INTEGER_COLUMNS + FLOAT_COLUMNS
CHART_GROUPS = 8  # the chart draws this many groups, and the rest as one "Other"
OTHER = 'Other'
NO_KEY = 'no key'
STATUS_LABELS = {'completed': 'Completed', 'failed': 'Failed', 'cancelled': 'Cancelled'}


@dataclass(frozen=True)
class GroupTotal:
    """One group of the range: its metric total, share of the range's total and change against the period
    before; requests, tokens, cost (micro-units), energy (Wh) and carbon (g CO2e) beside it."""

    value: str | int  # what a filter by this group takes: a model, provider, region, status, or a key's id
    label: str  # what is shown: the key's name for a key
    total: int | float
    share: float  # of the range's total, 0 to 1 (0 when the range's total is 0)
    previous: int | float  # the metric in the previous period of the same length
    change: float | None  # (total - previous) / previous; None when previous is 0 (a new group)
    requests: int
    tokens: int
    cost_micros: int
    energy_wh: float
    carbon_g: float


@dataclass(frozen=True)
class Trace:
    """One stacked series of the chart: a group (value None: the lumped "Other") and its value per bucket."""

    value: str | int | None
    label: str
    values: list[int | float]


@dataclass(frozen=True)
class Exploration:
    period: DateRange
    metric: str
    group: str
    filters: dict[str, str | int]  # the usage query's filters that were applied (None values left out)
    currency: str
    buckets: list[datetime]  # the local start of every bucket, in order
    series: pd.DataFrame  # one row per bucket (index: local starts), one column per group value (order of groups)
    groups: list[GroupTotal]  # largest total first
    total: int | float
    previous_total: int | float
    locale: str = DEFAULT  # how its figures read: the account's (services/locales.py)

    @property
    def change(self) -> float | None:
        return _change(self.total, self.previous_total)

    @property
    def unit(self) -> str:
        return unit(self.metric, self.currency)


def unit(metric: str, currency: str) -> str:
    """The unit of a metric's figures in exports: '' for counts, the currency for cost, Wh, g CO2e."""
    return {'cost': currency, 'energy': 'Wh', 'carbon': 'g CO2e'}.get(metric, '')


def metric_header(metric: str, currency: str) -> str:
    """'cost (USD)', 'energy (Wh)', 'tokens'."""
    return f'{metric} ({unit(metric, currency)})' if unit(metric, currency) else metric


def explore(
    session: Session,
    account: Account,
    view_range: DateRange,
    metric: str,
    group: str,
    filters: Mapping[str, str | int | None] | None = None,
) -> Exploration:
    """`metric` per bucket of `view_range` and per `group`, under `filters` (model, provider, region, key_id,
    status; None: not filtered), with each group's totals and change against `view_range.previous()`."""
    if metric not in METRICS:
        raise ValueError(f'unknown metric {metric!r}')
    if group not in GROUPS:
        raise ValueError(f'unknown group {group!r}')
    applied = {name: value for name, value in (filters or {}).items() if value is not None}
    if set(applied) - set(FILTERS):
        raise ValueError(f'unknown filters: {", ".join(sorted(set(applied) - set(FILTERS)))}')
    column = COLUMN[metric]
    since, until = view_range.since, view_range.until
    if view_range.bucket == 'hour':
        rows = usage_by_hour(session, account.id, since, until, group=group, columns=VALUE_COLUMNS, **applied)
    else:  # per local day, whatever the number of hours with usage in it; weeks add up their days below
        rows = usage_by_local_day(
            session, account.id, view_range.zone, since, until, group=group, columns=VALUE_COLUMNS, **applied
        )
    before = view_range.previous()
    previous_rows = usage_sums(
        session, account.id, before.since, before.until, group_by=(group,), columns=(column,), **applied
    )
    frame = _frame(rows)
    starts = bucket_starts(view_range)
    frame['bucket'] = _bucket_positions(frame, view_range, starts)
    totals = frame.groupby('group', sort=False)[list(VALUE_COLUMNS)].sum()
    previous = pd.Series(
        [amount for _, amount in previous_rows], index=[value for value, _ in previous_rows], dtype=_dtype(column)
    )
    labels = _labels(session, account.id, group, totals.index)
    order = sorted(totals.index, key=lambda v: (-totals.at[v, column], labels[v], str(v)))
    grand_total = _number(totals[column].sum(), column) if len(totals) else _zero(column)
    groups = [
        GroupTotal(
            value=_plain(value),
            label=labels[value],
            total=_number(totals.at[value, column], column),
            share=(float(totals.at[value, column] / grand_total) if grand_total else 0.0),
            previous=_number(previous.get(value, 0), column),
            change=_change(totals.at[value, column], previous.get(value, 0)),
            requests=int(totals.at[value, 'requests']),
            tokens=int(totals.at[value, 'tokens']),
            cost_micros=int(totals.at[value, 'cost_micros']),
            energy_wh=float(totals.at[value, 'energy_wh']),
            carbon_g=float(totals.at[value, 'carbon_g']),
        )
        for value in order
    ]
    series = (
        frame.groupby(['bucket', 'group'], sort=False)[column]
        .sum()
        .unstack('group', fill_value=0)
        .reindex(index=range(len(starts)), columns=order, fill_value=0)
        .astype('int64' if column in INTEGER_COLUMNS else 'float64')
    )
    series.index = pd.DatetimeIndex([pd.Timestamp(s) for s in starts]) if starts else pd.DatetimeIndex([])
    series.columns = [_plain(v) for v in series.columns]
    previous_total = _number(previous.sum(), column) if len(previous) else _zero(column)
    return Exploration(
        view_range,
        metric,
        group,
        applied,
        account.currency,
        starts,
        series,
        groups,
        grand_total,
        previous_total,
        locales.of(account),
    )


def chart_traces(exploration: Exploration, limit: int = CHART_GROUPS) -> list[Trace]:
    """The chart's stacked series: the `limit` largest groups, then every other group summed as "Other"."""
    series = exploration.series
    traces = [
        Trace(g.value, g.label, [_number(v, COLUMN[exploration.metric]) for v in series[g.value]])
        for g in exploration.groups[:limit]
    ]
    rest = [g.value for g in exploration.groups[limit:]]
    if rest:
        summed = series[rest].sum(axis=1)
        traces.append(Trace(None, f'{OTHER} ({len(rest)})', [_number(v, COLUMN[exploration.metric]) for v in summed]))
    return traces


def filter_options(session: Session, account: Account, view_range: DateRange) -> dict[str, list[tuple[str | int, str]]]:
    """The values each filter can take in the range (those with usage there), by filter name of the usage query
    (model, provider, region, key_id, status): (value, label) pairs, most requests first."""
    groups = tuple(FILTER_OF_GROUP)
    rows = usage_sums(session, account.id, view_range.since, view_range.until, group_by=groups, columns=('requests',))
    frame = pd.DataFrame.from_records(rows, columns=[*FILTER_OF_GROUP.values(), 'requests'])
    frame['requests'] = frame['requests'].astype('int64')
    options: dict[str, list[tuple[str | int, str]]] = {}
    for group, name in FILTER_OF_GROUP.items():
        counts = frame.groupby(name, sort=False)['requests'].sum() if rows else pd.Series(dtype='int64')
        labels = _labels(session, account.id, group, counts.index)
        ordered = sorted(counts.index, key=lambda v: (-counts[v], labels[v]))
        options[name] = [(_plain(v), labels[v]) for v in ordered]
    return options


def group_label(session: Session, account: Account, group: str, value: str | int) -> str:
    """How a group's value is shown: the name of the account's key ('no key' for 0), a status's name, else the
    value itself."""
    return _label(session, account.id, group, value)


def _frame(rows: list[tuple]) -> pd.DataFrame:
    """The rows of `usage_by_hour` or `usage_by_local_day` (time, group value, *VALUE_COLUMNS) as a frame."""
    frame = pd.DataFrame.from_records(rows, columns=['time', 'group', *VALUE_COLUMNS])
    if not rows:
        frame['group'] = frame['group'].astype(object)
    return frame.astype({**dict.fromkeys(INTEGER_COLUMNS, 'int64'), **dict.fromkeys(FLOAT_COLUMNS, 'float64')})


def _bucket_positions(frame: pd.DataFrame, period: DateRange, starts: list[datetime]) -> pd.Series:
    """The position in `starts` of each row's bucket: its UTC hour (hourly), else its local day (or that day's
    Monday)."""
    if period.bucket == 'hour':
        positions = {pd.Timestamp(s).tz_convert('UTC'): i for i, s in enumerate(starts)}
        keys = pd.to_datetime(frame['time'], utc=True)
    else:
        positions = {pd.Timestamp(s.replace(tzinfo=None)): i for i, s in enumerate(starts)}
        keys = pd.to_datetime(frame['time'])
        if period.bucket == 'week':
            keys = keys - pd.to_timedelta(keys.dt.day_of_week, unit='D')
    found = keys.map(positions)
    if found.isna().any():  # the usage query returns only the hours that start in the range
        raise RuntimeError('an hour of usage fell outside the buckets of its range')
    return found.astype('int64')


def _labels(session: Session, account_id: int, group: str, values) -> dict:
    """`_label` of each value, the names of keys read in one query."""
    if group != 'key':
        return {value: _label(session, account_id, group, value) for value in values}
    wanted = sorted({int(value) for value in values if value})
    query = select(ApiKey.id, ApiKey.name).where(ApiKey.account_id == account_id, ApiKey.id.in_(wanted))
    names = {key_id: name for key_id, name in session.connection().execute(query)} if wanted else {}
    return {value: names.get(int(value), f'key {int(value)}') if value else NO_KEY for value in values}


def _label(session: Session, account_id: int, group: str, value) -> str:
    if group == 'key':
        if not value:
            return NO_KEY
        key = session.get(ApiKey, int(value))
        return key.name if key is not None and key.account_id == account_id else f'key {int(value)}'
    if group == 'status':
        return STATUS_LABELS.get(value, str(value))
    return str(value)


def _plain(value):
    """A pandas/numpy scalar as a Python int or str."""
    return int(value) if hasattr(value, 'dtype') and value.dtype.kind in 'iu' else value


def _number(value, column: str) -> int | float:
    return int(value) if column in INTEGER_COLUMNS else float(value)


def _dtype(column: str) -> str:
    return 'int64' if column in INTEGER_COLUMNS else 'float64'


def _zero(column: str) -> int | float:
    return 0 if column in INTEGER_COLUMNS else 0.0


def _change(total, previous) -> float | None:
    if not previous:
        return None
    return float((total - previous) / previous)
