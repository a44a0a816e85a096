"""Provider and region stats of the last 7 days, checked against generations with known latencies."""

from datetime import UTC, datetime, timedelta

import pytest

from services.account.accounts import create_account
from services.routing.route_stats import provider_stats
from tests.services.test_query_plans import _full_scan, _plan, _statements_of
from tests.support import factories

NOW = datetime.now(UTC).replace(microsecond=0)
GPT = ('openai/gpt-4o-mini', 'openai', 'us-east-1')
MISTRAL = ('mistral/mistral-small', 'mistral', 'fr-par')


def _record(session, account, route, *, minutes_ago: float, status='completed', latency=None, ttft=None):
    model, provider, region = route
    factories.generation(
        account,
        session=session,
        model=model,
        provider=provider,
        region=region,
        completion_tokens=50,
        latency_ms=latency,
        ttft_ms=ttft,
        status=status,
        created_at=NOW - timedelta(minutes=minutes_ago),
    )


def seed_routes(session, account) -> None:
    """GPT in us-east-1: 10 completed (latency 100..1000 ms, four of them streams with a first token after 50, 60,
    70 and 80 ms), 2 failed and 1 cancelled stream; Mistral in fr-par: 3 completed, none streamed; one route
    only ever cancelled; and records the window must leave out (8 days old, another account's)."""
    for i in range(10):
        ttft = 50 + 10 * i if i < 4 else None
        _record(session, account, GPT, minutes_ago=10 + i, latency=100 * (i + 1), ttft=ttft)
    _record(session, account, GPT, minutes_ago=30, status='failed', latency=5_000)
    _record(session, account, GPT, minutes_ago=31, status='failed', latency=30_000)
    _record(session, account, GPT, minutes_ago=32, status='cancelled', latency=900, ttft=40)
    for minutes, latency in ((60, 300), (61, 100), (62, 200)):
        _record(session, account, MISTRAL, minutes_ago=minutes, latency=latency)
    _record(session, account, ('openai/gpt-4o-mini', 'azure-openai', 'eastus2'), minutes_ago=90, status='cancelled')
    _record(session, account, GPT, minutes_ago=8 * 24 * 60, latency=99_999, ttft=99_999)
    other = create_account(session, name='Other', currency='USD', timezone='UTC')
    _record(session, other, GPT, minutes_ago=5, latency=77_777)
    session.commit()


def test_percentiles_error_rate_and_counts_per_provider_and_region(session, account):
    seed_routes(session, account)
    stats = provider_stats(session, account, now=NOW)

    assert (stats.days, stats.since, stats.counted, stats.capped) == (7, NOW - timedelta(days=7), 17, False)
    assert [(r.provider, r.region) for r in stats.rows] == [
        ('openai', 'us-east-1'),
        ('mistral', 'fr-par'),
        ('azure-openai', 'eastus2'),
    ]
    gpt, mistral, cancelled_only = stats.rows

    assert (gpt.requests, gpt.completed, gpt.failed, gpt.cancelled) == (13, 10, 2, 1)
    # linear interpolation over the completed ones: p50 between 500 and 600, p95 at 8.55 of 0..9 → 900 + 0.55 × 100
    assert (gpt.latency_p50_ms, gpt.latency_p95_ms) == (550.0, pytest.approx(955.0))
    # four streams (the cancelled one's 40 ms is not counted): p95 at 2.85 of 0..3 → 70 + 0.85 × 10
    assert gpt.streams == 4
    assert (gpt.ttft_p50_ms, gpt.ttft_p95_ms) == (65.0, pytest.approx(78.5))
    assert gpt.error_rate == pytest.approx(2 / 12)  # cancelled is not an error and not in the base

    assert (mistral.requests, mistral.completed, mistral.failed) == (3, 3, 0)
    assert (mistral.latency_p50_ms, mistral.latency_p95_ms) == (200.0, pytest.approx(290.0))
    assert (mistral.streams, mistral.ttft_p50_ms, mistral.ttft_p95_ms) == (0, None, None)
    assert mistral.error_rate == 0

    assert (cancelled_only.requests, cancelled_only.cancelled, cancelled_only.error_rate) == (1, 1, None)
    assert (cancelled_only.latency_p50_ms, cancelled_only.ttft_p50_ms) == (None, None)


def test_a_big_window_reads_only_the_newest_rows_and_says_so(session, account):
    seed_routes(session, account)
    stats = provider_stats(session, account, now=NOW, limit=5)
    assert (stats.capped, stats.counted, stats.limit) == (True, 5, 5)
    assert stats.oldest == NOW - timedelta(minutes=14)  # the 5 newest: GPT's first five, 10 to 14 minutes old
    (gpt,) = stats.rows
    assert (gpt.requests, gpt.latency_p50_ms) == (5, 300.0)


def test_an_account_without_recent_traffic_has_no_rows(session, account):
    _record(session, account, GPT, minutes_ago=7 * 24 * 60 + 1, latency=100)
    session.commit()
    stats = provider_stats(session, account, now=NOW)
    assert (stats.rows, stats.counted, stats.capped, stats.oldest) == ([], 0, False, None)


def test_the_stats_query_is_served_by_an_index(session, account):
    seed_routes(session, account)
    seen = _statements_of(session, lambda: provider_stats(session, account, now=NOW))
    (statement,) = [s for s in seen if 'FROM generation' in s[0]]
    dialect = session.get_bind().dialect.name
    plan = _plan(session, dialect, *statement)
    assert not _full_scan(dialect, plan), plan
    assert 'ix_generation_account' in plan, plan
