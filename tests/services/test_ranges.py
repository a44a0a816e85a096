"""Date ranges in the account's time zone: presets, custom ranges, daylight saving and half-hour zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.usage.ranges import MAX_DAYS, PRESETS, RangeError, bucket_starts, resolve_range

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ('preset', 'first', 'last', 'bucket'),
    [
        ('today', date(2026, 12, 2), date(2026, 12, 2), 'hour'),
        ('7d', date(2026, 11, 26), date(2026, 12, 2), 'day'),
        ('30d', date(2026, 11, 3), date(2026, 12, 2), 'day'),
        ('this_month', date(2026, 12, 1), date(2026, 12, 2), 'hour'),
        ('last_month', date(2026, 11, 1), date(2026, 11, 30), 'day'),
        ('90d', date(2026, 9, 4), date(2026, 12, 2), 'day'),
    ],
)
def test_presets_count_back_from_the_local_today(preset, first, last, bucket):
    period = resolve_range('Europe/Berlin', preset, now=NOW)
    assert (period.first, period.last, period.bucket) == (first, last, bucket)
    berlin = ZoneInfo('Europe/Berlin')
    assert period.since == datetime(first.year, first.month, first.day, tzinfo=berlin)
    assert period.until == datetime(last.year, last.month, last.day, tzinfo=berlin) + timedelta(days=1)
    assert period.since.tzinfo == UTC


def test_today_is_the_local_today_not_the_utc_one():
    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # already 3 December in Tokyo, still 2 December in New York
    assert resolve_range('Asia/Tokyo', 'today', now=late).first == date(2026, 12, 3)
    assert resolve_range('America/New_York', 'today', now=late).first == date(2026, 12, 2)


def test_no_preset_is_thirty_days_and_dates_alone_make_a_custom_range():
    assert resolve_range('UTC', now=NOW).preset == '30d'
    custom = resolve_range('UTC', None, '2026-10-20', '2026-11-05', now=NOW)
    assert (custom.preset, custom.days, custom.label) == ('custom', 17, '20 Oct – 5 Nov 2026')
    assert resolve_range('UTC', 'custom', '2026-11-05', None, now=NOW).days == 1  # one day


def test_a_range_across_the_autumn_change_has_a_25_hour_day():
    period = resolve_range('Europe/Berlin', 'custom', '2026-10-24', '2026-10-26', now=NOW)
    assert period.until - period.since == timedelta(hours=73)  # 24 + 25 + 24
    assert [d.utcoffset() for d in bucket_starts(period)] == [
        timedelta(hours=2),
        timedelta(hours=2),
        timedelta(hours=1),
    ]
    spring = resolve_range('Europe/Berlin', 'custom', '2026-03-29', '2026-03-29', now=NOW)
    assert spring.until - spring.since == timedelta(hours=23)
    assert len(bucket_starts(spring)) == 23  # per hour: a 23-hour day has 23 buckets


def test_a_half_hour_zone_is_cut_at_whole_utc_hours_and_says_so():
    period = resolve_range('Asia/Kolkata', 'today', now=NOW)
    assert period.since == datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
    starts = bucket_starts(period)
    assert len(starts) == 24 and starts[0].astimezone(UTC) == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert 'UTC+05:30' in period.cut_note and '00:30' in period.cut_note
    assert resolve_range('Europe/Berlin', 'today', now=NOW).cut_note is None


def test_the_previous_period_has_the_same_length_just_before():
    period = resolve_range('UTC', 'last_month', now=NOW)
    before = period.previous()
    assert (before.first, before.last, before.until) == (date(2026, 10, 2), date(2026, 10, 31), period.since)


def test_weeks_start_on_monday_and_long_ranges_go_weekly():
    period = resolve_range('UTC', 'custom', '2026-01-01', '2026-06-30', now=NOW)
    starts = bucket_starts(period)
    assert period.bucket == 'week' and {s.weekday() for s in starts} == {0}
    assert starts[0].date() == date(2025, 12, 29) and starts[-1].date() == date(2026, 6, 29)


@pytest.mark.parametrize(
    ('preset', 'start', 'end', 'field', 'words'),
    [
        ('yesterday', None, None, 'range', 'unknown range'),
        ('custom', None, None, 'from', 'YYYY-MM-DD'),
        ('custom', '2026-13-01', '2026-12-01', 'from', 'not a date'),
        ('custom', '2026-11-05', '2026-11-01', 'to', 'before its start'),
        ('custom', '2024-01-01', '2026-01-01', 'to', f'{MAX_DAYS} days'),
        ('custom', '2027-01-01', '2027-01-02', 'from', 'future'),
        ('custom', '1999-12-31', '2000-01-02', 'from', '2000-01-01'),
    ],
)
def test_bad_ranges_are_refused_with_the_field_to_fix(preset, start, end, field, words):
    with pytest.raises(RangeError) as refused:
        resolve_range('UTC', preset, start, end, now=NOW)
    assert refused.value.field == field and words in refused.value.message


def test_a_custom_range_ending_in_the_future_stops_today():
    assert resolve_range('UTC', 'custom', '2026-11-20', '2026-12-31', now=NOW).last == date(2026, 12, 2)


def test_every_preset_has_a_label():
    assert set(PRESETS) == {'today', '7d', '30d', 'this_month', 'last_month', '90d', 'custom'}
