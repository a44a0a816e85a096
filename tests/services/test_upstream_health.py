"""Cooling off upstreams: Retry-After honoured, repeated failures trip a doubling period, a success forgets."""

from datetime import UTC, datetime

import pytest

from services.routing.upstream_health import (
    COOL_OFF,
    FAILURES_TO_TRIP,
    MAX_COOL_OFF,
    MAX_RETRY_AFTER,
    Health,
    retry_after_seconds,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_retry_after_cools_off_for_exactly_that_long():
    clock = Clock()
    health = Health(clock)
    assert health.failed('groq', 'rate_limited: 429', 2.5) == 2.5
    assert health.cooling() == {'groq': datetime.fromtimestamp(clock.now + 2.5, UTC)}
    assert health.reason('groq') == 'rate_limited: 429, asked to wait 2.5 s'
    clock.now += 2.5
    assert health.cooling() == {}


def test_failures_in_a_row_trip_a_period_that_doubles_until_a_success():
    clock = Clock()
    health = Health(clock)
    for _ in range(FAILURES_TO_TRIP - 1):
        assert health.failed('groq', 'upstream_error: 503') is None
    assert health.failed('groq', 'upstream_error: 503') == COOL_OFF
    assert health.reason('groq') == '3 failures in a row, the last upstream_error: 503'
    clock.now += COOL_OFF  # tried again after the period: one more failure cools it off at once, twice as long
    assert health.cooling() == {}
    assert health.failed('groq', 'timeout') == 2 * COOL_OFF
    for _ in range(10):
        clock.now += MAX_COOL_OFF
        period = health.failed('groq', 'timeout')
    assert period == MAX_COOL_OFF
    health.succeeded('groq')
    clock.now += MAX_COOL_OFF
    assert health.failed('groq', 'timeout') is None  # forgotten: counting starts again


def test_a_long_retry_after_is_capped_and_outlasts_a_shorter_trip():
    health = Health(Clock())
    for _ in range(FAILURES_TO_TRIP - 1):
        health.failed('mistral', 'upstream_error: 502')
    assert health.failed('mistral', 'upstream_error: 503', 10 * MAX_RETRY_AFTER) == MAX_RETRY_AFTER


@pytest.mark.parametrize(
    ('header', 'seconds'),
    [
        ('3', 3.0),
        (' 0.5 ', 0.5),
        ('-4', 0.0),
        ('Wed, 02 Dec 2026 10:00:30 GMT', 30.0),
        ('soon', None),
        ('nan', None),
        ('', None),
        (None, None),
    ],
)
def test_retry_after_is_read_as_seconds_or_an_http_date(header, seconds):
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC).timestamp()
    assert retry_after_seconds(header, now=now) == seconds
