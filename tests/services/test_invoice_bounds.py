"""surely_not_invoiced: ingestion skips the invoice look-up only for times no invoice can cover yet."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.billing.invoices import month_bounds, surely_not_invoiced

ZONES = (
    'Pacific/Kiritimati', 'Etc/GMT-14', 'Etc/GMT+12', 'Pacific/Pago_Pago', 'UTC', 'Europe/Berlin',
    'America/Los_Angeles', 'America/St_Johns', 'Asia/Kolkata', 'Pacific/Chatham', 'Australia/Lord_Howe',
)  # fmt: skip
NOW = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC))


def _issuable_ends(zone: str, now: datetime) -> list[datetime]:
    """The ends of the months that have ended in `zone` by `now`, among the last few (those that matter)."""
    ends, year, month = [], now.year, now.month + 1
    for _ in range(4):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        end = month_bounds(zone, year, month)[1]
        if end <= now:
            ends.append(end)
    return ends


@given(NOW, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)), st.sampled_from(ZONES))
def test_a_time_it_calls_safe_is_after_every_invoice_that_can_exist(now, back, zone):
    moment = now - back
    if surely_not_invoiced(moment, now=now):
        assert all(moment >= end for end in _issuable_ends(zone, now))


@given(NOW)
def test_most_of_a_month_needs_no_look_up(now):
    middle = now.replace(day=15, hour=12)
    assert surely_not_invoiced(middle, now=middle)
    assert surely_not_invoiced(middle - timedelta(days=13), now=middle)
    assert not surely_not_invoiced(middle - timedelta(days=15), now=middle)  # the previous month: look it up
    last = middle.replace(day=1) + timedelta(days=32)
    late = last.replace(day=1) - timedelta(hours=2)  # the month's end is near: it has ended east of UTC
    assert not surely_not_invoiced(late, now=late)
