"""Listing and exporting generations: newest first, keyset (cursor) pagination, never OFFSET."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, select

from services.errors import InvalidInput
from services.models import Generation


class CursorError(InvalidInput, ValueError):
    """A cursor this API did not hand out."""


@dataclass(frozen=True)
class GenerationFilter:
    model: str | None = None
    provider: str | None = None
    region: str | None = None
    key_id: int | None = None  # 0: the generations recorded without a key (as in the usage rollups)
    status: str | None = None  # completed | failed | cancelled
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def filtered(account_id: int, f: GenerationFilter):
    query = select(Generation).where(Generation.account_id == account_id)
    for column, value in (
        (Generation.model, f.model),
        (Generation.provider, f.provider),
        (Generation.region, f.region),
        (Generation.status, f.status),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.key_id is not None:  # a generation without a key stores NULL; its rollup buckets say 0
        query = query.where(Generation.api_key_id.is_(None) if f.key_id == 0 else Generation.api_key_id == f.key_id)
    if f.since is not None:
        query = query.where(Generation.created_at >= f.since)
    if f.until is not None:
        query = query.where(Generation.created_at < f.until)
    return query


def page(
    session: Session, account_id: int, f: GenerationFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[Generation], str | None]:
    """One page, newest first, and the cursor of the next page (None at the end).

    The cursor names the last row seen (created_at, id); rows inserted meanwhile with a newer time
    never shift what the next page returns.
    """
    query = filtered(account_id, f)
    if cursor:
        moment, generation_id = decode_cursor(cursor)
        query = query.where(
            or_(
                Generation.created_at < moment,
                and_(Generation.created_at == moment, Generation.id < generation_id),
            )
        )
    rows = list(session.exec(query.order_by(Generation.created_at.desc(), Generation.id.desc()).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1])


def stream(session: Session, account_id: int, f: GenerationFilter, *, chunk: int = 2000) -> Iterator[Generation]:
    """Every matching generation, newest first, a chunk at a time (constant memory)."""
    cursor = None
    while True:
        rows, cursor = page(session, account_id, f, limit=chunk, cursor=cursor)
        yield from rows
        session.expunge_all()
        if cursor is None:
            return


def encode_cursor(g: Generation) -> str:
    raw = f'{g.created_at.isoformat()}|{g.id}'
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip('=')


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + '=' * (-len(cursor) % 4)).decode()
        moment, generation_id = raw.split('|', 1)
        return datetime.fromisoformat(moment), generation_id
    except (ValueError, UnicodeDecodeError):
        raise CursorError('cursor', 'not a cursor returned by this API') from None
