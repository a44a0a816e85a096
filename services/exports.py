"""CSV export of generations: streamed a page at a time, safe to open in a spreadsheet.

The text is exactly what `csv.writer` writes for `safe_cell` of every value (see `_cell_writer`), but
built for speed, as an export may hold millions of rows:

- Only the needed columns are read, with a core select (no ORM objects, no per-value processing), newest
  first, in keyset pages of PAGE_ROWS rows: one connection for the export, a short read transaction a
  page, ended before the page's text is handed on (a slow client never keeps a transaction, nor on
  SQLite the WAL, open). On PostgreSQL the next page is read in a helper thread meanwhile.
- The database joins most fields of a row into two texts (`_page_query`): used as they are when each
  has exactly its separators and no field needs quoting or an apostrophe (`_plain_joins`, a page at a
  time), else the page is read again one field a column. The seven energy and carbon figures are
  formatted once per distinct tuple (`_FloatsMemo`, bounded; on PostgreSQL they come packed as doubles).
- A page is formatted column by column with C-level maps and joins. Ids and external ids are checked a
  page at a time and written as they are unless one of them needs quoting or a leading apostrophe.
- Times (`_TimeTexts`): the UTC text is cut from the stored one, and the local time of a UTC minute
  reuses its hour's offset when that offset is the same at both ends of the hour and a whole number of
  minutes (no zone changes its offset twice within a day); any other row takes zoneinfo's way.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from operator import itemgetter, mod
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Connection,
    LargeBinary,
    Select,
    String,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    tuple_,
    type_coerce,
)
from sqlalchemy.types import NullType

from services import db
from services.generation_queries import GenerationFilter, filtered
from services.models import Account, Generation
from services.money import MICROS, decimal_string

COLUMNS = (
    'id', 'created_at_utc', 'created_at_local', 'key_id', 'requested_model', 'model', 'provider', 'region',
    'prompt_tokens', 'completion_tokens', 'total_tokens', 'latency_ms', 'status', 'cost', 'currency',
    'energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high',
    'grid_intensity_g_per_kwh', 'methodology_version', 'estimated', 'external_id',
)  # fmt: skip
FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
PAGE_ROWS = 3000  # rows per read transaction and per chunk handed on (about 1 MB of text)
MEMO_SIZE = 20_000  # distinct values remembered per kind before starting afresh (a few MB at most)

# The columns of a page row, in the order of _page_query: one field a column...
ID, STORED_AT, COST = 0, 1, 9
TEXTS = (3, 4, 5, 6, 8, 10, 18)  # requested_model, model, provider, region, status, currency, methodology_version
FLOATS = range(11, 18)  # energy_wh (value, low, high), carbon_g (value, low, high), grid intensity
# ...or with joined texts: id, created_at, key_id to currency, the seven floats (on a database server, packed
# in one value), methodology and estimated, external id
JOINED_MIDDLE, JOINED_FLOATS, JOINED_END = 2, range(3, 10), -2
PACKED = 3

_QUOTED = (',', '"', '\r', '\n')  # csv.writer quotes a field holding any of these
_FIRST = itemgetter(slice(0, 1))
_HEAD = itemgetter(slice(0, 16))  # 'YYYY-MM-DD HH:MM' of a stored time
_STORED_TAIL = itemgetter(slice(16, None))  # ':SS.ffffff' of a stored time
_HOUR_END = timedelta(minutes=59, seconds=59, microseconds=999_999)  # from the start of an hour to its last instant
_WHOLE_MINUTE = timedelta(minutes=1)


def generations_csv(account: Account, f: GenerationFilter) -> Iterator[str]:
    """Header then one line per generation, newest first; reads on its own connection, so it can outlive a request."""
    yield ','.join(COLUMNS) + '\r\n'
    writer = _PageWriter(account.timezone)
    for page in _pages(account.id, f):
        text = writer.write(*page)
        del page  # not kept while the next page is read
        yield text


def _pages(account_id: int, f: GenerationFilter) -> Iterator[tuple[list[tuple], str]]:
    """The pages of rows, each read in its own read transaction, with their layout (see _read_page).

    On SQLite, in this thread. On a database server, each page is read in a helper thread while the one
    before is formatted: the server works on the next page meanwhile (Python waits for it without the GIL).
    SQLite gives the GIL back at every row, which a second thread would turn into waits of milliseconds."""
    queries = _PageQueries(account_id, f)
    # one connection for the export (a read-only one, see db.read_scope), a transaction a page
    with db.get_engine().execution_options(read_only=True).connect() as connection:
        if queries.sqlite:
            page = _read_page(connection, queries, None)
            while page[0]:
                after, more = _after(page[0], queries.sqlite), len(page[0]) == queries.limit
                yield page
                del page
                if not more:
                    return
                page = _read_page(connection, queries, after)
            return
        with ThreadPoolExecutor(1, thread_name_prefix='csv-export') as reader:  # waits for its read on exit
            page = reader.submit(_read_page, connection, queries, None).result()
            while page[0]:
                more = len(page[0]) == queries.limit
                after = _after(page[0], queries.sqlite)
                next_page = reader.submit(_read_page, connection, queries, after) if more else None
                yield page
                del page
                if next_page is None:
                    return
                page = next_page.result()


def _read_page(connection: Connection, queries: _PageQueries, after) -> tuple[list[tuple], str]:
    """The page after `after` (None: the first), and its layout: 'joined' texts (with the floats 'packed'
    on a database server) or one field a column, 'fields'."""
    keyset = {} if after is None else {'after_at': after[0], 'after_id': after[1]}
    joined = 'joined' if queries.sqlite else 'packed'
    with connection.begin():  # one short read transaction; both reads below see the same rows
        rows = _fetch(connection, queries.get(joined=True, first=after is None), keyset)
        if not rows or (_plain_joins(rows) and (queries.sqlite or None not in map(itemgetter(PACKED), rows))):
            return rows, joined
        # some text needs quoting or an apostrophe: read the page again, one field a column
        return _fetch(connection, queries.get(joined=False, first=after is None), keyset), 'fields'


class _PageQueries:
    """The page queries of one export, each built once (building one costs about as much as reading
    300 rows)."""

    def __init__(self, account_id: int, f: GenerationFilter):
        self.sqlite = db.get_engine().dialect.name == 'sqlite'
        self.limit = PAGE_ROWS
        self.account_id, self.f = account_id, f
        self.built: dict[tuple[bool, bool], Select] = {}

    def get(self, *, joined: bool, first: bool) -> Select:
        if (joined, first) not in self.built:
            # After the first page the keyset bound is below `until`: without it, the index is sought from
            # the bound (a database would otherwise start at `until` and skip every row already sent).
            f = self.f if first else replace(self.f, until=None)
            self.built[joined, first] = _page_query(self.account_id, f, self.sqlite, joined, first, self.limit)
        return self.built[joined, first]


def _after(rows: list[tuple], sqlite: bool) -> tuple[object, str]:
    """The keyset bound after these rows: (created_at as stored, id)."""
    last_at = rows[-1][STORED_AT]
    return (last_at if sqlite else _utc_moment(last_at)), rows[-1][ID]


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return '' if value is None else value


def _fetch(connection, query: Select, parameters: dict) -> list[tuple]:
    result = connection.execute(query, parameters)
    rows = result.cursor.fetchall()  # plain tuples: no Row objects, no per-value processing
    result.close()
    return rows


def _page_query(account_id: int, f: GenerationFilter, sqlite: bool, joined: bool, first: bool, limit: int) -> Select:
    """A page of rows, newest first: the first, or those after (after_at, after_id) (created_at as the
    driver gives it, id).

    created_at comes as SQLite stores it, 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC; PostgreSQL writes it so:
    cheaper to read than a datetime, and the same for the formatting. With `joined`, the fields from
    key_id to currency come as one text, and methodology_version with estimated as another (see
    _plain_joins); otherwise one field a column."""
    g = Generation
    stored_at = type_coerce(g.created_at, NullType())  # the driver's value as it is: cheap to read and to bind back
    estimated = case((g.estimated, 'True'), (~g.estimated, 'False'), else_='')
    if joined:
        fields = [g.api_key_id, g.requested_model, g.model, g.provider, g.region, g.prompt_tokens, g.completion_tokens,
                  g.total_tokens, g.latency_ms, g.status, _cost_text(sqlite), g.currency]  # fmt: skip
        if sqlite:
            # SQLite's printf ends a text at a NUL character: a requested model holding one (the only free text
            # among these; the others are names from the catalog, checked when recorded) has its page read again
            nul = func.instr(g.requested_model, func.char(0)) > 0
            middle = [func.printf('%s,' * 11 + '%s%s', *fields, case((nul, '"'), else_=''))]
        else:
            middle = [_comma_joined(sqlite, *fields)]
        end = [_comma_joined(sqlite, g.methodology_version, estimated)]
    else:
        tokens = (g.prompt_tokens, g.completion_tokens, g.total_tokens)
        middle = [func.coalesce(cast(g.api_key_id, String), ''), g.requested_model, g.model, g.provider, g.region,
                  _comma_joined(sqlite, *tokens, g.latency_ms), g.status, g.cost_micros, g.currency]  # fmt: skip
        end = [g.methodology_version, estimated]
    figures = [g.energy_wh, g.energy_wh_low, g.energy_wh_high, g.carbon_g, g.carbon_g_low, g.carbon_g_high,
               g.grid_intensity_g_per_kwh]  # fmt: skip
    if joined and not sqlite:  # their 8-byte IEEE 754 forms, one after the other: exact, and cheap to send
        packed = func.float8send(figures[0])
        for figure in figures[1:]:
            packed = packed.op('||', return_type=LargeBinary())(func.float8send(figure))
        figures = [packed]
    query = filtered(account_id, f).with_only_columns(
        g.id,
        stored_at if sqlite else func.to_char(func.timezone('UTC', g.created_at), 'YYYY-MM-DD HH24:MI:SS.US'),
        *middle,
        *figures,
        *end,
        func.coalesce(g.external_id, ''),
        maintain_column_froms=True,
    )
    if not first:
        after = tuple_(bindparam('after_at', type_=NullType()), bindparam('after_id', type_=g.id.type))
        query = query.where(tuple_(stored_at, g.id) < after)
    return query.order_by(g.created_at.desc(), g.id.desc()).limit(limit)


def _comma_joined(sqlite: bool, *columns):
    """One text: the columns as text (NULL as nothing) joined by commas."""
    if sqlite:
        return func.printf(','.join(['%s'] * len(columns)), *columns)
    return func.concat(*[part for column in columns for part in (literal_column("','"), column)][1:])


def _cost_text(sqlite: bool):
    """cost_micros as decimal_string writes it, or '"' (never plain, so the page is read again) if negative."""
    whole, micros = Generation.cost_micros // MICROS, Generation.cost_micros % MICROS
    if sqlite:
        text = func.printf('%d.%06d', whole, micros)
    else:
        text = func.concat(whole, literal_column("'.'"), func.lpad(cast(micros, String), 6, '0'))
    return case((Generation.cost_micros >= 0, text), else_='"')


def _plain_joins(rows: list[tuple]) -> bool:
    """Whether the joined texts of a page (_page_query's `joined`) are exactly their fields' CSV: each has
    all its separators and no more, and no field needs quoting or an apostrophe."""
    for index, fields in ((JOINED_MIDDLE, 12), (JOINED_END, 2)):
        joined = ',' + ','.join(map(itemgetter(index), rows))  # so that every field starts after a comma
        if (
            joined.count(',') != fields * len(rows)
            or any(c in joined for c in _QUOTED[1:])  # '"', '\r', '\n'
            or any(c in joined and ',' + c in joined for c in FORMULA_STARTS)
        ):
            return False
    return True


class _PageWriter:
    """Rows of _page_query -> their CSV lines, each ending in CRLF as csv.writer ends them."""

    def __init__(self, zone: str):
        self.cell = cell = _cell_writer()
        self.times = _TimeTexts(zone, cell)
        self.text = _Memo(cell).__getitem__
        self.numbers = _FloatsMemo(cell).__getitem__
        self.packed = _PackedFloatsMemo(self.numbers).__getitem__
        self.money = _Memo(lambda micros: cell(decimal_string(micros))).__getitem__

    def write(self, rows: list[tuple], layout: str) -> str:
        """The lines of rows read in this layout (see _read_page)."""
        columns: list = list(zip(*rows, strict=True))
        if layout == 'fields':
            for index in TEXTS:
                columns[index] = map(self.text, columns[index])
            columns[COST] = map(self.money, columns[COST])
        if layout == 'packed':
            columns[PACKED] = map(self.packed, columns[PACKED])
        else:
            floats = FLOATS if layout == 'fields' else JOINED_FLOATS
            figures = zip(*columns[floats.start : floats.stop], strict=True)
            columns[floats.start : floats.stop] = [map(self.numbers, figures)]  # the seven fields in one
        return self._lines(columns)

    def _lines(self, columns: list) -> str:
        columns[STORED_AT] = self.times(columns[STORED_AT])  # 'utc,local': two fields in one
        for index in (ID, -1):  # ids and external ids
            if _need_care(columns[index]):
                columns[index] = map(self._careful, columns[index])
        lines = list(map(','.join, zip(*columns, strict=True)))
        lines.append('')  # the last line's end, without copying the text once more
        return '\r\n'.join(lines)

    def _careful(self, value: str) -> str:
        return self.cell(value) if value.startswith(FORMULA_STARTS) or any(c in value for c in _QUOTED) else value


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


class _FloatsMemo(dict):
    """Tuples of floats -> their fields joined by commas, computed on first sight (most rows repeat the energy
    and carbon figures of another); starts afresh past MEMO_SIZE tuples. A tuple holding a zero or NaN is
    never remembered: 0.0 and -0.0 are equal keys, and NaN equals nothing."""

    def __init__(self, cell: Callable[[object], str]):
        super().__init__()
        self.one = _FloatMemo(cell).__getitem__

    def __missing__(self, values: tuple):
        text = ','.join(map(self.one, values))
        if all(value.__class__ is float and value and value == value for value in values):
            if len(self) >= MEMO_SIZE:
                self.clear()
            self[values] = text
        return text


class _PackedFloatsMemo(dict):
    """Floats packed as big-endian IEEE 754 doubles -> their fields joined by commas, computed on first sight
    (the bytes are an exact key); starts afresh past MEMO_SIZE values."""

    def __init__(self, numbers: Callable[[tuple], str]):
        super().__init__()
        self.numbers = numbers

    def __missing__(self, packed: bytes):
        text = self.numbers(struct.unpack(f'>{len(packed) // 8}d', packed))
        if len(self) >= MEMO_SIZE:
            self.clear()
        self[packed] = text
        return text


class _TimeTexts:
    """Created_at texts of a page, 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC (as SQLite stores them, and as
    _page_query has other databases write them) -> 'utc_iso,local_iso' each, as datetime.isoformat()
    writes them.

    Each UTC minute gets a template '<utc minute>%s+00:00,<local minute>%s<offset>', filled with the
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
        self.hours = _Memo(self._hour)  # UTC hour head -> what _hour tells, or None

    def __call__(self, stored: tuple) -> list[str]:
        if stored[0].__class__ is str and set(map(len, stored)) == {26}:
            tails = '\0'.join(map(_STORED_TAIL, stored))  # ':SS.ffffff' each (the minute is checked in _template)
            if tails.count(':') == tails.count('.') == len(stored):
                return self._fill(stored, map(_HEAD, stored), tails.replace('.000000', '').split('\0'))
        return [self._generic(value) for value in stored]

    def _fill(self, stored, heads, tails: list[str]) -> list[str]:
        templates = list(map(self.templates.__getitem__, heads))
        if '' not in templates:
            return list(map(mod, templates, zip(tails, tails, strict=True)))
        return [
            template % (tail, tail) if template else self._generic(value)
            for value, template, tail in zip(stored, templates, tails, strict=True)
        ]

    def _generic(self, value) -> str:
        moment = self.moment(value)
        return f'{moment.isoformat()},{moment.astimezone(self.zone or self._open()).isoformat()}'

    def _open(self) -> ZoneInfo:
        self.zone = ZoneInfo(self.zone_name)
        return self.zone

    def _template(self, head: str) -> str:
        """The template of a UTC minute 'YYYY-MM-DD HH:MM', or '' where rows need the generic way."""
        hour = self.hours[head[:13]]
        minute = head[14:]
        if not hour or head[13] != ':' or len(minute) != 2 or not minute.isdigit() or minute > '59':
            return ''  # an hour that changes offset, or not the stored form
        utc_hour, start, offset, local_hour = hour
        # with an offset of whole hours, the local minute is the UTC one
        local = f'{local_hour}:{minute}' if local_hour else (start + timedelta(minutes=int(minute))).isoformat()[:16]
        return f'{utc_hour}:{minute}%s+00:00,{local}%s{offset}'  # digits, '-', 'T', ':' and '+' only: no other %

    def _hour(self, head: str) -> tuple[str, datetime, str, str] | None:
        """Of a UTC hour 'YYYY-MM-DD HH' that one whole-minute offset holds throughout: its ISO head
        'YYYY-MM-DDTHH', its local start, the offset's text, and the local ISO head if the offset is whole
        hours. None for any other hour, or text in any other form."""
        try:
            top = datetime.fromisoformat(head).replace(tzinfo=UTC)
        except ValueError:
            return None
        if top.isoformat(' ')[:13] != head:
            return None
        here = top.astimezone(self.zone or self._open())
        shift = here.utcoffset()
        if shift != (top + _HOUR_END).astimezone(self.zone).utcoffset() or shift % _WHOLE_MINUTE:
            return None
        local = here.isoformat()
        return top.isoformat()[:13], here.replace(tzinfo=None), local[19:], '' if here.minute else local[:13]


def _utc_moment(text: str) -> datetime:
    """A time written as text in UTC, as an aware datetime (what SQLAlchemy makes of SQLite's text)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
