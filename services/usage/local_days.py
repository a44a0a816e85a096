"""The fast reads of the usage explorer (/usage): sums per local day, per UTC hour or in total, as plain tuples.

They sum the same rollups as `services/usage/query.py` with the same rule (an hour bucket belongs to the local
day where its UTC start falls), but select only the sums asked for, with Core statements and no object per row,
so that a 90-day view costs the same at ten million generations as at ten thousand. `usage_by_local_day` reads
whole UTC days from usage_day and, from usage_hour, only the hours that fall on another local day than the rest
of their UTC day, plus the ragged hours on the window's edges.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, func, literal, null, or_
from sqlmodel import Session, select

from services.models import UsageDay, UsageHour
from services.usage.query import COLUMN, COUNTS, STATUSES, SUMS
from services.usage.rollups import DAILY, day_of, usage_buckets

# what `usage_by_local_day` and `usage_by_hour` can sum, and how they can group it; tokens: prompt + completion
LOCAL_DAY_COLUMNS = (*SUMS, 'tokens')
LOCAL_DAY_GROUPS = ('model', 'provider', 'region', 'key', 'status')


def usage_by_local_day(
    session: Session,
    account_id: int,
    zone: str,
    since: datetime,
    until: datetime,
    *,
    group: str | None = None,
    columns: Iterable[str] = ('requests',),
    model: str | None = None,
    key_id: int | None = None,
    provider: str | None = None,
    region: str | None = None,
    status: str | None = None,
) -> list[tuple]:
    """The account's usage in [since, until) per local day of `zone` (and per value of `group`, one of
    LOCAL_DAY_GROUPS): tuples (local date, group value or None, *the sums of `columns`), ordered by date, then
    group value; a day and group without requests is left out. An hour bucket counts on the local day where it
    starts, as when the hours of `usage(..., group_by=('hour', group))` are added up per local day; the filters
    are `usage`'s.

    Its cost grows with the days of the window, not with the hours that hold usage: whole UTC days are read from
    usage_day, each counted on the local day where most of its hours are (the day of its 12:00 UTC). The few hours
    of a UTC day that start on another local day (the last two of each UTC day in Berlin, the first five in New
    York) are read from usage_hour, taken out of their UTC day's local day and put on their own; so are the
    hours on the window's edges outside whole UTC days. Sums are made in SQL, without loading a row per bucket."""
    columns = tuple(columns)
    _check(columns, (group,), {'status': status})
    whole_days, majority, parts = _cuts(zone, _utc(since).astimezone(UTC), _utc(until).astimezone(UTC))
    filters = {'model': model, 'api_key_id': key_id, 'provider': provider, 'region': region, 'status': status}
    filters = {column: value for column, value in filters.items() if value is not None}
    summed = ('requests', *columns)  # requests tell a day that holds usage from one whose hours were all taken out
    numbers = [int if column in COUNTS or column == 'tokens' else float for column in summed]  # PostgreSQL: numeric
    found: dict[tuple, list] = {}

    def add(day: date, value, sums, sign: int = 1) -> None:
        into = found.get((day, value))
        if into is None:
            into = found[(day, value)] = [0] * len(summed)
        for index, amount in enumerate(sums):
            into[index] += sign * numbers[index](amount)

    connection = session.connection()
    if whole_days:
        days = _grouped(UsageDay, UsageDay.day, account_id, group, summed, filters)
        days = days.where(UsageDay.day >= whole_days[0], UsageDay.day <= whole_days[-1])
        for moment, value, *sums in connection.execute(days.group_by(UsageDay.day)):
            add(majority[_utc(moment)], value, sums)
    if parts:
        bounds = {f'start_{index}': start for index, (start, _, _, _) in enumerate(parts)}
        bounds |= {f'end_{index}': end for index, (_, end, _, _) in enumerate(parts)}
        wanted = {f'filter_{column}': value for column, value in filters.items()}
        statement = _runs_statement(len(parts), group, summed, tuple(filters))
        for index, value, *sums in connection.execute(statement, {'account_id': account_id, **bounds, **wanted}):
            _, _, own, taken_from = parts[index]
            add(own, value, sums)
            if taken_from is not None:
                add(taken_from, value, sums, -1)
    return [(day, value, *sums[1:]) for (day, value), sums in sorted(found.items(), key=_order) if sums[0]]


def usage_by_hour(
    session: Session,
    account_id: int,
    since: datetime,
    until: datetime,
    *,
    group: str | None = None,
    columns: Iterable[str] = ('requests',),
    **filters,
) -> list[tuple]:
    """The account's usage per UTC hour that starts in [since, until) (and per value of `group`): tuples (hour in
    UTC, group value or None, *the sums of `columns`), ordered by hour, then group value; the filters are
    `usage`'s. For short windows: it reads every hour bucket of the window."""
    columns = tuple(columns)
    _check(columns, (group,), filters)
    applied = {FILTER_COLUMN[name]: value for name, value in filters.items() if value is not None}
    query = _grouped(UsageHour, UsageHour.hour, account_id, group, columns, applied)
    query = query.where(
        UsageHour.hour >= _utc(since).astimezone(UTC), UsageHour.hour < _utc(until).astimezone(UTC)
    ).group_by(UsageHour.hour)
    rows = session.connection().execute(query)
    return sorted(
        (
            (_utc(hour), value, *(_number(c, s) for c, s in zip(columns, sums, strict=True)))
            for hour, value, *sums in rows
        ),
        key=_order,
    )


def usage_sums(
    session: Session,
    account_id: int,
    since: datetime | None,
    until: datetime | None,
    *,
    group_by: Iterable[str] = (),
    columns: Iterable[str] = ('requests',),
    **filters,
) -> list[tuple]:
    """`usage` with only the sums of `columns` (LOCAL_DAY_COLUMNS) as plain tuples (the values of `group_by`, of
    LOCAL_DAY_GROUPS, then the sums), in no order; with no group, one tuple of totals (zeros when nothing was
    used). Reads whole days and the window's ragged hours, as `usage`."""
    group_by, columns = tuple(group_by), tuple(columns)
    _check(columns, group_by, filters)
    window = usage_buckets(account_id, since, until)
    keys = [window.c[COLUMN[g]] for g in group_by]
    sums = [func.coalesce(func.sum(_figure(window.c, column)), 0) for column in columns]
    query = select(*keys, *sums)
    for name, value in filters.items():
        if value is not None:
            query = query.where(window.c[FILTER_COLUMN[name]] == value)
    rows = session.connection().execute(query.group_by(*keys) if keys else query)
    return [
        (*row[: len(keys)], *(_number(c, v) for c, v in zip(columns, row[len(keys) :], strict=True))) for row in rows
    ]


def _check(columns: tuple[str, ...], groups: Iterable[str | None], filters: dict) -> None:
    unknown = set(columns) - set(LOCAL_DAY_COLUMNS)
    if unknown:
        raise ValueError(f'cannot sum usage of {", ".join(sorted(unknown))}')
    unknown = {g for g in groups if g is not None} - set(LOCAL_DAY_GROUPS)
    if unknown:
        raise ValueError(f'cannot group usage by {", ".join(sorted(unknown))}')
    if set(filters) - set(FILTER_COLUMN):
        raise ValueError(f'unknown filters: {", ".join(sorted(set(filters) - set(FILTER_COLUMN)))}')
    if filters.get('status') is not None and filters['status'] not in STATUSES:
        raise ValueError(f'no generation has the status {filters["status"]!r}')


FILTER_COLUMN = {'model': 'model', 'key_id': 'api_key_id', 'provider': 'provider', 'region': 'region'}
FILTER_COLUMN |= {'status': 'status'}
DAY = timedelta(days=1)


@lru_cache(maxsize=32)
def _cuts(zone: str, since: datetime, until: datetime) -> tuple[tuple, dict, tuple]:
    """How `usage_by_local_day` reads [since, until) in `zone`: the whole UTC days (from usage_day), the local day
    of each (where its 12:00 UTC falls: most of its hours), and the runs of hours read from usage_hour: (start,
    end, their local day, the local day of the whole UTC day they are taken out of, or None on the edges)."""
    tz = ZoneInfo(zone)
    first_day, end_of_days = DAILY.first_whole(since), day_of(until)
    whole_days = []
    while first_day < end_of_days:
        whole_days.append(first_day)
        first_day += DAY
    parts: list[tuple[datetime, datetime, date, date | None]] = []
    majority: dict[datetime, date] = {}
    if whole_days:
        parts += _hour_runs(tz, since, whole_days[0])
        for day in whole_days:
            most = majority[day] = _local_date(day + timedelta(hours=12), tz)
            parts += [(start, end, own, most) for start, end, own, _ in _hour_runs(tz, day, day + DAY, most)]
        parts += _hour_runs(tz, end_of_days, until)
    else:
        parts += _hour_runs(tz, since, until)
    return tuple(whole_days), majority, tuple(parts)


@lru_cache(maxsize=64)
def _runs_statement(count: int, group: str | None, summed: tuple[str, ...], filters: tuple[str, ...]):
    """The sums of `count` runs of hours from usage_hour (bound as start_i and end_i), per run (its position) and
    group value. Built once per shape, it is not cheap to build: the runs of 90 days are some 90 ranges."""
    hour = UsageHour.hour
    starts = [bindparam(f'start_{index}', type_=hour.type) for index in range(count)]
    ends = [bindparam(f'end_{index}', type_=hour.type) for index in range(count)]
    account = bindparam('account_id', type_=UsageHour.account_id.type)
    # the account in every term: each one is then a range of the index (account_id, hour, ...)
    bounds = or_(
        *(and_(UsageHour.account_id == account, hour >= s, hour < e) for s, e in zip(starts, ends, strict=True))
    )
    run = _position(hour, ends, 0, count).label('run')
    figures = [_figure(UsageHour, column).label(f'sum_{index}') for index, column in enumerate(summed)]
    value = [getattr(UsageHour, COLUMN[group]).label('value')] if group else []
    inner = select(run, *value, *figures).where(bounds)
    for column in filters:
        inner = inner.where(getattr(UsageHour, column) == bindparam(f'filter_{column}'))
    inner = inner.subquery()  # grouped outside: the run's CASE is then written once (PostgreSQL needs that)
    value = inner.c.value if group else null()
    sums = [func.sum(inner.c[f'sum_{index}']) for index in range(len(summed))]
    return select(inner.c.run, value, *sums).group_by(inner.c.run, *([value] if group else []))


def _position(hour, ends: list, low: int, high: int):
    """The position of the run of `hour` among runs low..high-1 (ends[i]: where run i ends), in a CASE that
    halves them at each step: some 7 comparisons per row for the 90 runs of 90 days, not 45."""
    if high - low == 1:
        return literal(low)
    middle = (low + high) // 2
    return case(
        (hour < ends[middle - 1], _position(hour, ends, low, middle)), else_=_position(hour, ends, middle, high)
    )


def _grouped(table, period, account_id: int, group: str | None, columns, filters: dict):
    """SELECT period, group value, sums of `columns` FROM table WHERE account and filters, grouped by the group's
    value (the caller bounds the period and groups by it)."""
    value = getattr(table, COLUMN[group]) if group else null()
    query = select(period, value, *(func.sum(_figure(table, column)) for column in columns))
    query = query.where(table.account_id == account_id)
    for column, wanted in filters.items():
        query = query.where(getattr(table, column) == wanted)
    return query.group_by(value) if group else query


def _figure(table, column: str):
    """A column's figure in a table (or a subquery's columns, `.c`); tokens: prompt + completion."""
    if isinstance(table, type):
        return table.prompt_tokens + table.completion_tokens if column == 'tokens' else getattr(table, column)
    return table.prompt_tokens + table.completion_tokens if column == 'tokens' else table[column]


def _hour_runs(zone: ZoneInfo, start: datetime, end: datetime, skip: date | None = None) -> list:
    """The UTC hours that start in [start, end) and on another local day than `skip`, in runs of consecutive hours
    on one local day: (run start, run end, that day, None)."""
    hour = start.replace(minute=0, second=0, microsecond=0)
    if hour < start:
        hour += timedelta(hours=1)
    runs: list[list] = []
    while hour < end:
        own = _local_date(hour, zone)
        if own != skip:
            if runs and runs[-1][1] == hour and runs[-1][2] == own:
                runs[-1][1] = hour + timedelta(hours=1)
            else:
                runs.append([hour, hour + timedelta(hours=1), own, None])
        hour += timedelta(hours=1)
    return [tuple(run) for run in runs]


def _local_date(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def _number(column: str, value):
    return int(value) if column in COUNTS or column == 'tokens' else float(value)  # PostgreSQL: numeric sums


def _order(item: tuple):
    """Rows by their time, then group value (the group's values are all texts or all numbers)."""
    key = item[0] if isinstance(item[0], tuple) else item
    return key[0], key[1] is not None, key[1]


def _utc(moment: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands them back naive)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
