"""How each provider and region served the account lately: requests, latency and time-to-first-token percentiles,
error rate, from the generations of the last few days.

Percentiles need the single values, so this is one of the few reads of raw generations: five narrow columns of
one account's recent rows, found through the (account_id, created_at) index, newest first and capped, so a
large account costs a bounded read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlmodel import Session, col, select

from services.models import Account, Generation

DAYS = 7
ROW_LIMIT = 200_000  # the newest this many generations of the window, at most
COLUMNS = ('provider', 'region', 'status', 'latency_ms', 'ttft_ms')


@dataclass(frozen=True)
class RouteStats:
    """One provider and region. Latency and time-to-first-token percentiles (ms, linear interpolation) are over
    completed requests with a measure; time to first token only streams have. None: nothing to measure."""

    provider: str
    region: str
    requests: int  # every status
    completed: int
    failed: int
    cancelled: int  # the client went away: not an error of the provider
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    streams: int  # completed requests with a time to first token
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None

    @property
    def error_rate(self) -> float | None:
        """failed / (completed + failed), 0 to 1; None when neither (all cancelled)."""
        finished = self.completed + self.failed
        return self.failed / finished if finished else None


@dataclass(frozen=True)
class StatsWindow:
    since: datetime  # UTC
    days: int
    rows: list[RouteStats] = field(default_factory=list)  # most requests first
    counted: int = 0  # generations read
    capped: bool = False  # the window held more than `limit` generations: only the newest were read
    limit: int = ROW_LIMIT
    oldest: datetime | None = None  # UTC, of the generations read (when capped: where the read stopped)


def provider_stats(
    session: Session, account: Account, *, days: int = DAYS, now: datetime | None = None, limit: int | None = None
) -> StatsWindow:
    """Per provider and region over the last `days` days (a rolling window ending now), from the newest `limit`
    generations at most (ROW_LIMIT by default)."""
    limit = ROW_LIMIT if limit is None else limit
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    query = (
        select(*(getattr(Generation, c) for c in COLUMNS), Generation.created_at)
        .where(Generation.account_id == account.id, Generation.created_at >= since)
        .order_by(col(Generation.created_at).desc())
        .limit(limit + 1)
    )
    records = session.exec(query).all()
    capped = len(records) > limit
    records = records[:limit]
    oldest = records[-1][-1] if records else None
    if oldest is not None and oldest.tzinfo is None:  # SQLite gives naive UTC back
        oldest = oldest.replace(tzinfo=UTC)
    window = StatsWindow(since=since, days=days, counted=len(records), capped=capped, limit=limit, oldest=oldest)
    if not records:
        return window
    frame = pd.DataFrame([r[:-1] for r in records], columns=list(COLUMNS))
    return replace(window, rows=_per_route(frame))


def _per_route(frame: pd.DataFrame) -> list[RouteStats]:
    keys = ['provider', 'region']
    for measure in ('latency_ms', 'ttft_ms'):
        frame[measure] = frame[measure].astype('float64')  # None becomes NaN, which the percentiles skip
    counts = frame.groupby(keys)['status'].value_counts().unstack(fill_value=0)
    done = frame[frame['status'] == 'completed']
    latency = _percentiles(done, keys, 'latency_ms')
    ttft = _percentiles(done, keys, 'ttft_ms')
    streams = done.dropna(subset=['ttft_ms']).groupby(keys).size()
    rows = []
    for route, statuses in counts.iterrows():
        rows.append(
            RouteStats(
                provider=route[0],
                region=route[1],
                requests=int(statuses.sum()),
                completed=int(statuses.get('completed', 0)),
                failed=int(statuses.get('failed', 0)),
                cancelled=int(statuses.get('cancelled', 0)),
                latency_p50_ms=latency.get((route, 0.5)),
                latency_p95_ms=latency.get((route, 0.95)),
                streams=int(streams.get(route, 0)),
                ttft_p50_ms=ttft.get((route, 0.5)),
                ttft_p95_ms=ttft.get((route, 0.95)),
            )
        )
    return sorted(rows, key=lambda r: (-r.requests, r.provider, r.region))


def _percentiles(frame: pd.DataFrame, keys: list[str], measure: str) -> dict[tuple, float]:
    """{((provider, region), q): value} for q 0.5 and 0.95, over the rows that have the measure."""
    measured = frame.dropna(subset=[measure])
    if measured.empty:
        return {}
    quantiles = measured.groupby(keys)[measure].quantile([0.5, 0.95])
    return {((provider, region), q): float(value) for (provider, region, q), value in quantiles.items()}
