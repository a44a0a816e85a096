"""Time: stored in UTC, shown and bucketed in the account's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def local(moment: datetime, zone: str) -> datetime:
    return _convert(moment, ZoneInfo(zone))


def utc(moment: datetime) -> datetime:
    return _convert(moment, UTC)


def as_utc(moment: datetime) -> datetime:
    """A time as a database gives it back (naive on SQLite, which stores UTC) as an aware UTC datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _convert(moment: datetime, tz) -> datetime:
    """`moment` in `tz`; at the edges of the calendar (year 1 or 9999) the nearest representable time."""
    try:
        return moment.astimezone(tz)
    except OverflowError:  # e.g. 0001-01-01 00:00 UTC is still year 0 west of Greenwich
        edge = datetime.min if moment.year == datetime.min.year else datetime.max
        return edge.replace(tzinfo=tz)


def format_local(moment: datetime, zone: str, *, seconds: bool = False) -> str:
    return local(moment, zone).strftime('%Y-%m-%d %H:%M:%S' if seconds else '%Y-%m-%d %H:%M')


def day_start_utc(zone: str, now: datetime | None = None, *, days_back: int = 0) -> datetime:
    """Local midnight `days_back` days before today, in UTC."""
    today = local(now or datetime.now(UTC), zone).date() - timedelta(days=days_back)
    return utc(datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(zone)))


def month_start_utc(zone: str, now: datetime | None = None) -> datetime:
    today = local(now or datetime.now(UTC), zone)
    return utc(datetime(today.year, today.month, 1, tzinfo=ZoneInfo(zone)))
