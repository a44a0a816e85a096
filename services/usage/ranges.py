"""Date ranges of the usage explorer and the logs: whole local days of the account's time zone.

A range is a first and a last local day (both included). Presets count back from today: "7 days" is today
and the six days before it. The range becomes a UTC window [since, until) from local midnight to local
midnight, so a day that gains or loses an hour to daylight saving is 25 or 23 hours long.

The usage rollups are hourly and UTC. In a zone whose offset is not a whole number of hours (India, +05:30;
Nepal, +05:45; parts of Australia), a local midnight falls inside a UTC hour: such an hour counts in the day
(and the range) where it starts, so the days there are cut at whole UTC hours (`cut_note` says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from services.errors import InvalidInput
from services.timeutil import local, utc

Preset = Literal['today', '7d', '30d', 'this_month', 'last_month', '90d', 'custom']
Bucket = Literal['hour', 'day', 'week']
PRESETS: dict[str, str] = {
    'today': 'Today',
    '7d': 'Last 7 days',
    '30d': 'Last 30 days',
    'this_month': 'This month',
    'last_month': 'Last month',
    '90d': 'Last 90 days',
    'custom': 'Custom range',
}
DEFAULT_PRESET = '30d'
MAX_DAYS = 400  # a custom range: a little over a year, still a few thousand hourly buckets
EARLIEST = date(2000, 1, 1)
HOURLY_UP_TO_DAYS = 2  # ranges of up to 2 days are charted per hour,
DAILY_UP_TO_DAYS = 92  # up to a quarter per day, longer ones per week (weeks start on Monday)


class RangeError(InvalidInput, ValueError):
    """A range that cannot be read (a bad date, the end before the start, too long)."""


@dataclass(frozen=True)
class DateRange:
    preset: str
    first: date  # local day, included
    last: date  # local day, included
    zone: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def since(self) -> datetime:
        """Local midnight starting `first`, in UTC."""
        return _midnight_utc(self.first, self.zone)

    @property
    def until(self) -> datetime:
        """Local midnight ending `last`, in UTC (exclusive)."""
        return _midnight_utc(self.last + timedelta(days=1), self.zone)

    @property
    def bucket(self) -> Bucket:
        if self.days <= HOURLY_UP_TO_DAYS:
            return 'hour'
        return 'day' if self.days <= DAILY_UP_TO_DAYS else 'week'

    def previous(self) -> DateRange:
        """The period of the same number of days just before this one (what changes are measured against)."""
        return DateRange('custom', self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.zone)

    @property
    def label(self) -> str:
        """e.g. '3 Nov – 2 Dec 2026', '2 Dec 2026'."""
        if self.first == self.last:
            return _day(self.last, year=True)
        return f'{_day(self.first, year=self.first.year != self.last.year)} – {_day(self.last, year=True)}'

    @property
    def cut_note(self) -> str | None:
        """Why days here are cut at whole UTC hours (None in a zone of whole-hour offsets)."""
        offsets = {_offset_minutes(moment, self.zone) for moment in (self.since, self.until)}
        odd = sorted(m for m in offsets if m % 60)
        if not odd:
            return None
        minutes = odd[0] % 60
        return (
            f'Usage is kept per UTC hour, and this time zone is {_offset_text(odd[0])}: each day here runs from '
            f'00:{minutes:02d} to 00:{minutes:02d} local time (an hour counts on the day it starts).'
        )


def resolve_range(
    zone: str, preset: str | None = None, start: str | None = None, end: str | None = None, now: datetime | None = None
) -> DateRange:
    """The range a page or a link asks for: a preset, or 'custom' with `start` and `end` as YYYY-MM-DD (local days,
    both included). No preset: the default (30 days), or custom when dates are given. Raises RangeError."""
    today = local(now or datetime.now(UTC), zone).date()
    preset = preset or ('custom' if start or end else DEFAULT_PRESET)
    if preset not in PRESETS:
        raise RangeError('range', f'unknown range “{preset}”; use one of {", ".join(PRESETS)}')
    if preset == 'custom':
        first, last = _date('from', start), _date('to', end or start)
        if last < first:
            raise RangeError('to', 'the end of the range is before its start')
        if (last - first).days + 1 > MAX_DAYS:
            raise RangeError('to', f'a range can span at most {MAX_DAYS} days')
        if first > today:
            raise RangeError('from', 'the range starts in the future')
        return DateRange('custom', first, min(last, today), zone)
    if preset == 'this_month':
        return DateRange(preset, today.replace(day=1), today, zone)
    if preset == 'last_month':
        last = today.replace(day=1) - timedelta(days=1)
        return DateRange(preset, last.replace(day=1), last, zone)
    days = {'today': 1, '7d': 7, '30d': 30, '90d': 90}[preset]
    return DateRange(preset, today - timedelta(days=days - 1), today, zone)


def bucket_starts(period: DateRange) -> list[datetime]:
    """The start (local, aware) of every bucket of the range, in order: its hours, days or Monday-weeks."""
    zone = ZoneInfo(period.zone)
    if period.bucket == 'hour':
        # the rollup's UTC hours that start in [since, until): in a half-hour zone the first starts at 00:30
        moment, end, starts = period.since, period.until, []
        if moment.minute or moment.second:
            moment = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while moment < end:
            starts.append(local(moment, period.zone))
            moment += timedelta(hours=1)
        return starts
    step = 1 if period.bucket == 'day' else 7
    day = period.first if period.bucket == 'day' else period.first - timedelta(days=period.first.weekday())
    starts = []
    while day <= period.last:
        starts.append(datetime(day.year, day.month, day.day, tzinfo=zone))
        day += timedelta(days=step)
    return starts


def _date(field: str, text: str | None) -> date:
    if not text:
        raise RangeError(field, 'give a date as YYYY-MM-DD')
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise RangeError(field, f'“{text}” is not a date; use YYYY-MM-DD') from None
    if value < EARLIEST:
        raise RangeError(field, f'dates start at {EARLIEST.isoformat()}')
    return value


def _midnight_utc(day: date, zone: str) -> datetime:
    return utc(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)))


def _offset_minutes(moment: datetime, zone: str) -> int:
    return int(local(moment, zone).utcoffset().total_seconds() // 60)


def _offset_text(minutes: int) -> str:
    sign = '+' if minutes >= 0 else '−'
    return f'UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}'


def _day(day: date, *, year: bool) -> str:
    return f'{day.day} {day:%b}' + (f' {day.year}' if year else '')
