"""CSV export of generations: streamed a page at a time, safe to open in a spreadsheet.

The text is exactly what `csv.writer` writes for `safe_cell` of every value (see `_cell_writer`), but
built for speed, as an export may hold millions of rows:

- Only the needed columns are read, with a core select (no ORM objects, no per-value processing), newest
  first, in keyset pages of PAGE_ROWS rows, each in its own short read transaction that ends before the
  page's text is handed on: a slow client never keeps a transaction (nor, on SQLite, the WAL) open.
- A page is formatted column by column with C-level maps. Values that repeat (model, provider, region,
  status, currency, cost, energy and carbon figures) are formatted on first sight and looked up after
  that (`_Memo`, bounded). Ids and external ids are checked a page at a time and written as they are
  unless one of them needs quoting or a leading apostrophe.
- Times (`_TimeTexts`): the UTC text is cut from the stored one, and the local time of a UTC minute
  reuses its hour's offset when that offset is the same at both ends of the hour and a whole number of
  minutes (no zone changes its offset twice within a day); any other row takes zoneinfo's way.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from operator import itemgetter
from zoneinfo import ZoneInfo

from sqlalchemy import String, case, cast, func, literal_column, tuple_, type_coerce
from sqlalchemy.types import NullType

from services import db
from services.generation_queries import GenerationFilter, filtered
from services.models import Account, Generation
from services.money import decimal_string

COLUMNS = (
    'id', 'created_at_utc', 'created_at_local', 'key_id', 'requested_model', 'model', 'provider', 'region',
    'prompt_tokens', 'completion_tokens', 'total_tokens', 'latency_ms', 'status', 'cost', 'currency',
    'energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high',
    'grid_intensity_g_per_kwh', 'methodology_version', 'estimated', 'external_id',
)  # fmt: skip
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
PAGE_ROWS = 3000  # rows per read transaction and per chunk handed on (about 1 MB of text)
MEMO_SIZE = 50_000  # distinct values remembered per kind before starting afresh

# The columns of a page row, in the order of _page_query
ID, STORED_AT, KEY_ID, TOKENS, COST, EXTERNAL_ID = 0, 1, 2, 7, 9, 20
TEXTS = (3, 4, 5, 6, 8, 10, 18)  # requested_model, model, provider, region, status, currency, methodology_version
FLOATS = range(11, 18)  # energy_wh (value, low, high), carbon_g (value, low, high), grid intensity

_QUOTED = (',', '"', '\r', '\n')  # csv.writer quotes a field holding any of these
_FIRST = itemgetter(slice(0, 1))
_HEAD = itemgetter(slice(0, 16))  # 'YYYY-MM-DD HH:MM' of a stored time
_STORED_TAIL = itemgetter(slice(16, None))  # ':SS.ffffff' of a stored time
_STORED_MARKS = itemgetter(16, 19)
_HOUR_END = timedelta(minutes=59, seconds=59, microseconds=999_999)  # from the start of an hour to its last instant
_WHOLE_MINUTE = timedelta(minutes=1)


def generations_csv(account: Account, f: GenerationFilter) -> Iterator[str]:
    """Header then one line per generation, newest first; opens its own session so it can outlive a request."""
    yield ','.join(COLUMNS) + '\r\n'
    page_text = _page_writer(account.timezone)
    text_times = db.get_engine().dialect.name != 'sqlite'
    after: tuple[object, str] | None = None
    with db.read_scope() as session:
        while True:
            result = session.connection().execute(_page_query(account.id, f, after, text_times))
            rows = result.cursor.fetchall()  # plain tuples: no Row objects, no per-value processing
            result.close()
            session.commit()  # end the read transaction before the text leaves
            if not rows:
                return
            last_at = rows[-1][STORED_AT]
            if text_times:
                last_at = _utc_moment(last_at)
            after, full = (last_at, rows[-1][ID]), len(rows) == PAGE_ROWS
            text = page_text(rows)
            del rows  # not kept while the next page is read
            yield text
            if not full:
                return


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return '' if value is None else value


def _page_query(account_id: int, f: GenerationFilter, after: tuple[object, str] | None, text_times: bool):
    """A page of rows after `after` (created_at as the driver gives it, id), newest first.

    created_at comes as SQLite stores it, 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; other databases write it
    so (text_times): cheaper to read than a datetime, and the same for the formatting."""
    g = Generation
    stored_at = type_coerce(g.created_at, NullType())  # the driver's value as it is: cheap to read and to bind back
    as_text = func.to_char(func.timezone('UTC', g.created_at), 'YYYY-MM-DD HH24:MI:SS.US')
    shown_at = as_text if text_times else stored_at
    query = filtered(account_id, f).with_only_columns(
        g.id,
        shown_at,
        func.coalesce(cast(g.api_key_id, String), ''),
        g.requested_model,
        g.model,
        g.provider,
        g.region,
        _joined(
            cast(g.prompt_tokens, String),
            cast(g.completion_tokens, String),
            cast(g.total_tokens, String),
            func.coalesce(cast(g.latency_ms, String), ''),
        ),
        g.status,
        g.cost_micros,
        g.currency,
        g.energy_wh,
        g.energy_wh_low,
        g.energy_wh_high,
        g.carbon_g,
        g.carbon_g_low,
        g.carbon_g_high,
        g.grid_intensity_g_per_kwh,
        g.methodology_version,
        case((g.estimated, 'True'), (~g.estimated, 'False'), else_=''),
        func.coalesce(g.external_id, ''),
        maintain_column_froms=True,
    )
    if after is not None:
        query = query.where(tuple_(stored_at, g.id) < tuple_(type_coerce(after[0], NullType()), after[1]))
    return query.order_by(g.created_at.desc(), g.id.desc()).limit(PAGE_ROWS)


def _joined(*texts):
    """SQL texts joined by commas: integers as one field (they never need quoting nor an apostrophe)."""
    joined = texts[0]
    for text in texts[1:]:
        joined = joined + literal_column("','", String) + text
    return joined


def _page_writer(zone: str) -> Callable[[list[tuple]], str]:
    """Rows of _page_query -> their CSV lines, each ending in CRLF as csv.writer ends them."""
    cell = _cell_writer()
    times = _TimeTexts(zone, cell)
    text = _Memo(cell).__getitem__
    number = _FloatMemo(cell).__getitem__
    money = _Memo(lambda micros: cell(decimal_string(micros))).__getitem__

    def careful(value: str) -> str:
        return cell(value) if value.startswith(FORMULA_STARTS) or any(c in value for c in _QUOTED) else value

    def page_text(rows: list[tuple]) -> str:
        columns: list = list(zip(*rows, strict=True))
        columns[STORED_AT] = times(columns[STORED_AT])  # 'utc,local': two fields in one
        for index in TEXTS:
            columns[index] = map(text, columns[index])
        for index in FLOATS:
            columns[index] = map(number, columns[index])
        columns[COST] = map(money, columns[COST])
        for index in (ID, EXTERNAL_ID):
            if _need_care(columns[index]):
                columns[index] = map(careful, columns[index])
        lines = list(map(','.join, zip(*columns, strict=True)))
        lines.append('')  # the last line's end, without copying the text once more
        return '\r\n'.join(lines)

    return page_text


def _need_care(texts: tuple[str, ...]) -> bool:
    """Whether any of these texts needs quoting or a leading apostrophe."""
    joined, firsts = ''.join(texts), ''.join(map(_FIRST, texts))
    return any(c in joined for c in _QUOTED) or any(c in firsts for c in FORMULA_STARTS)


def _cell_writer() -> Callable[[object], str]:
    """A value -> what csv.writer writes for safe_cell(value) in a line (quoted when needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def cell(value: object) -> str:
        writer.writerow((safe_cell(value), ''))  # not alone on its line: a lone empty field would be quoted
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text[:-3]  # less ',' and '\r\n'

    return cell


class _Memo(dict):
    """value -> its text, computed on first sight; starts afresh past MEMO_SIZE values."""

    def __init__(self, text: Callable[[object], str]):
        super().__init__()
        self.text = text

    def __missing__(self, value):
        text = self.text(value)
        if len(self) >= MEMO_SIZE:
            self.clear()
        self[value] = text
        return text


class _FloatMemo(dict):
    """Like _Memo, for floats (csv.writer writes repr(float)). 0.0 and -0.0 are the same key and NaN never
    equals itself: neither is remembered."""

    def __init__(self, cell: Callable[[object], str]):
        super().__init__()
        self.cell = cell

    def __missing__(self, value):
        if value.__class__ is not float:
            return self.cell(value)
        text = repr(value)
        if value and value == value:
            if len(self) >= MEMO_SIZE:
                self.clear()
            self[value] = text
        return text


class _TimeTexts:
    """Created_at texts of a page, 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (as SQLite stores them, and as
    _page_query has other databases write them) -> 'utc_iso,local_iso' each, as datetime.isoformat()
    writes them.

    Each UTC minute gets a template '<utc minute>{0}+00:00,<local minute>{0}<offset>', filled with the
    row's ':SS[.ffffff]'. A minute whose hour changes offset, or a value in any other form, is converted
    row by row the generic way."""

    def __init__(self, zone: str, cell: Callable[[object], str]):
        self.zone_name = zone
        self.zone: ZoneInfo | None = None  # opened on the first row, as before
        dialect = db.get_engine().dialect
        if dialect.name == 'sqlite':  # what SQLAlchemy makes of a stored text
            self.moment = Generation.__table__.c.created_at.type.dialect_impl(dialect).result_processor(dialect, None)
        else:
            self.moment = _utc_moment
        self.templates = _Memo(self._template)  # UTC minute head -> template, or '' where the generic way is needed
        self.hours: dict[str, tuple[bool, datetime, str]] = {}

    def __call__(self, stored: tuple) -> list[str]:
        if (
            stored[0].__class__ is str
            and set(map(len, stored)) == {26}
            and set(map(_STORED_MARKS, stored)) == {(':', '.')}
        ):
            heads = map(_HEAD, stored)
            tails = '\0'.join(map(_STORED_TAIL, stored)).replace('.000000', '').split('\0')
            return self._fill(stored, heads, tails)
        return [self._generic(value) for value in stored]

    def _fill(self, stored, heads, tails) -> list[str]:
        templates = list(map(self.templates.__getitem__, heads))
        if '' not in templates:
            return list(map(str.format, templates, tails))
        return [
            template.format(tail) if template else self._generic(value)
            for value, template, tail in zip(stored, templates, tails, strict=True)
        ]

    def _generic(self, value) -> str:
        moment = self.moment(value)
        return f'{moment.isoformat()},{moment.astimezone(self.zone or self._open()).isoformat()}'

    def _open(self) -> ZoneInfo:
        self.zone = ZoneInfo(self.zone_name)
        return self.zone

    def _template(self, head: str) -> str:
        try:
            moment = datetime.fromisoformat(head).replace(tzinfo=UTC)
        except ValueError:
            return ''
        if moment.isoformat(head[10])[:16] != head:
            return ''  # not the stored form
        exact, start, offset = self._hour(moment)
        if not exact:
            return ''
        local = (start + timedelta(minutes=moment.minute)).isoformat()[:16]
        return f'{moment.isoformat()[:16]}{{0}}+00:00,{local}{{0}}{offset}'

    def _hour(self, moment: datetime) -> tuple[bool, datetime, str]:
        """(whether one whole-minute offset holds all the hour, local start of the hour, that offset's text)."""
        key = moment.isoformat()[:13]
        if key not in self.hours:
            if len(self.hours) >= MEMO_SIZE:
                self.hours.clear()
            top = moment.replace(minute=0, second=0, microsecond=0)
            here = top.astimezone(self.zone or self._open())
            shift = here.utcoffset()
            exact = shift == (top + _HOUR_END).astimezone(self.zone).utcoffset() and not shift % _WHOLE_MINUTE
            self.hours[key] = exact, here.replace(tzinfo=None), here.isoformat()[19:]
        return self.hours[key]


def _utc_moment(text: str) -> datetime:
    """A time written as text in UTC, as an aware datetime (what SQLAlchemy makes of SQLite's text)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
