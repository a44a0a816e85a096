"""The log of every generation (/logs): what a view of it selects, its pages, its count and its filter choices.

Rows come from the generations (newest first, keyset-paged: services/usage/generations.py); the count and the
choices of the filters come from the usage rollups (services/usage/query.py), never from a scan of generations.
The count therefore includes generations deleted under the data-retention setting, which the log no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from services.keys.api_keys import list_keys
from services.models import Account, Generation
from services.usage.generations import GenerationFilter, page
from services.usage.query import STATUSES, usage, usage_total
from services.usage.ranges import DateRange

PAGE_ROWS = 50


@dataclass(frozen=True)
class LogQuery:
    """A range of local days and the filters (None: any); key_id 0 means generations recorded without a key."""

    period: DateRange
    model: str | None = None
    provider: str | None = None
    region: str | None = None
    key_id: int | None = None
    status: str | None = None

    def generation_filter(self) -> GenerationFilter:
        return GenerationFilter(
            model=self.model,
            provider=self.provider,
            region=self.region,
            key_id=self.key_id,
            since=self.period.since,
            until=self.period.until,
            status=self.status,
        )

    def usage_filters(self) -> dict:
        return {
            'since': self.period.since,
            'until': self.period.until,
            'model': self.model,
            'provider': self.provider,
            'region': self.region,
            'key_id': self.key_id,
            'status': self.status,
        }


@dataclass(frozen=True)
class LogRow:
    id: str
    created_at: datetime  # UTC
    model: str
    provider: str
    region: str
    key_id: int | None
    key_name: str | None
    status: str
    total_tokens: int
    cost_micros: int
    currency: str
    latency_ms: int | None
    ttft_ms: int | None  # None: not streamed


@dataclass(frozen=True)
class LogPage:
    rows: list[LogRow]
    next_cursor: str | None  # None: this was the last page


def log_page(
    session: Session, account: Account, query: LogQuery, *, cursor: str | None = None, limit: int = PAGE_ROWS
) -> LogPage:
    """One page of the log, newest first (CursorError for a cursor this app did not hand out)."""
    generations, next_cursor = page(session, account.id, query.generation_filter(), limit=limit, cursor=cursor)
    return LogPage(log_rows(session, account, generations), next_cursor)


def newer_rows(session: Session, account: Account, query: LogQuery, since: datetime, *, limit: int) -> LogPage:
    """The rows of the view whose time is `since` or later, newest first, at most `limit` (`next_cursor` is not
    None when there are more): the live tail of /logs. One range of the (account, created_at, id) index from
    its newest end, never a scan of the generations."""
    window = replace(query.generation_filter(), since=max(since, query.period.since))
    generations, more = page(session, account.id, window, limit=limit)
    return LogPage(log_rows(session, account, generations), more)


def log_rows(session: Session, account: Account, generations: list[Generation]) -> list[LogRow]:
    names = key_names(session, account)
    return [
        LogRow(
            id=g.id,
            created_at=g.created_at,
            model=g.model,
            provider=g.provider,
            region=g.region,
            key_id=g.api_key_id,
            key_name=names.get(g.api_key_id) if g.api_key_id else None,
            status=g.status,
            total_tokens=g.total_tokens,
            cost_micros=g.cost_micros,
            currency=g.currency,
            latency_ms=g.latency_ms,
            ttft_ms=g.ttft_ms,
        )
        for g in generations
    ]


def expected_rows(session: Session, account_id: int, query: LogQuery) -> int:
    """How many generations the view holds, from the rollups (pruned ones included)."""
    return usage_total(session, account_id, **query.usage_filters()).requests


@dataclass(frozen=True)
class FilterChoices:
    models: list[str]
    providers: list[str]
    regions: list[str]
    keys: dict[int, str]  # key id -> name; 0: recorded without a key
    statuses: tuple[str, ...] = STATUSES


def filter_choices(session: Session, account: Account, period: DateRange) -> FilterChoices:
    """What the account used in the range, from the rollups: the values its filters can take."""
    window = {'since': period.since, 'until': period.until}
    found = {}
    for group, field in (('model', 'model'), ('provider', 'provider'), ('region', 'region'), ('key', 'key_id')):
        rows = usage(session, account.id, group_by=(group,), **window)
        found[group] = sorted({getattr(row, field) for row in rows if row.requests})
    names = key_names(session, account)
    keys = {key_id: (names.get(key_id) or f'key {key_id}') if key_id else 'no key' for key_id in found['key']}
    return FilterChoices(found['model'], found['provider'], found['region'], keys)


def key_names(session: Session, account: Account) -> dict[int, str]:
    return {key.id: key.name for key in list_keys(session, account)}
