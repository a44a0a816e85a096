"""Time: stored in UTC, shown and bucketed in the account's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo


def local(moment: datetime, zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(zone))


def format_local(moment: datetime, zone: str, *, seconds: bool = False) -> str:
    return local(moment, zone).strftime('%Y-%m-%d %H:%M:%S' if seconds else '%Y-%m-%d %H:%M')


def day_start_utc(zone: str, now: datetime | None = None, *, days_back: int = 0) -> datetime:
    """Local midnight `days_back` days before today, in UTC."""
    today = local(now or datetime.now(UTC), zone).date() - timedelta(days=days_back)
    return datetime(today.year, today.month, today.day, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def month_start_utc(zone: str, now: datetime | None = None) -> datetime:
    today = local(now or datetime.now(UTC), zone)
    return datetime(today.year, today.month, 1, tzinfo=ZoneInfo(zone)).astimezone(UTC)
