"""CSV export of generations: streamed a page at a time, safe to open in a spreadsheet.

The text is exactly what `csv.writer` writes for `safe_cell` of every value (see `_cell_writer`), but
built for speed, as an export may hold millions of rows:

- Only the needed columns are read, with a core select (no ORM objects, no per-value processing), newest
  first, in keyset pages of PAGE_ROWS rows: one connection for the export, a short read transaction a
  page, ended before the page's text is handed on (a slow client never keeps a transaction, nor on
  SQLite the WAL, open). On PostgreSQL the next page is read in a helper thread meanwhile.
- The database joins most fields of a row into two texts (`_page_query`): used as they are when each
  has exactly its separators and no field needs quoting or an apostrophe (`_plain_joins`, a page at a
  time), else the page is read again one field a column. The eleven energy and carbon figures are
  formatted once per distinct tuple (`_FloatsMemo`, bounded; on PostgreSQL they come packed as doubles).
- A page is formatted column by column with C-level maps and joins. Ids and external ids are checked a
  page at a time and written as they are unless one of them needs quoting or a leading apostrophe.
- Times (`_TimeTexts`): the UTC text is cut from the stored one, and the local time of a UTC minute
  reuses its hour's offset when that offset is the same at both ends of the hour and a whole number of
  minutes (no zone changes its offset twice within a day); any other row takes zoneinfo's way.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from operator import itemgetter

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
from services.models import Account, Generation
from services.money import MICROS
from services.usage import export_slices
from services.usage._csv_lines import (  # noqa: F401  (safe_cell: part of this module's interface)
    _QUOTED,
    FORMULA_STARTS,
    ID,
    JOINED_END,
    JOINED_MIDDLE,
    PACKED,
    STORED_AT,
    _PageWriter,
    _utc_moment,
    safe_cell,
)
from services.usage.generations import GenerationFilter, filtered

COLUMNS = (
    'id', 'created_at_utc', 'created_at_local', 'key_id', 'requested_model', 'model', 'provider', 'region',
    'prompt_tokens', 'completion_tokens', 'total_tokens', 'latency_ms', 'status', 'cost', 'currency',
    'energy_wh', 'energy_wh_low', 'energy_wh_high', 'carbon_g', 'carbon_g_low', 'carbon_g_high',
    'grid_intensity_g_per_kwh', 'embodied_g', 'embodied_g_low', 'embodied_g_high', 'input_energy_wh', 'pue',
    'grid_basis', 'methodology_version', 'estimated', 'external_id',
)  # fmt: skip
PAGE_ROWS = 3000  # rows per read transaction and per chunk handed on (about 1 MB of text)


def generations_csv(account: Account, f: GenerationFilter) -> Iterator[str]:
    """Header then one line per generation, newest first; reads on its own connection(s), so it can outlive a
    request. A large export is read and written by helper processes, a slice of time each (export_slices)."""
    yield ','.join(COLUMNS) + '\r\n'
    parallel = export_slices.plan(account.id, f)
    if parallel is not None:
        yield from export_slices.texts(parallel, account.id, account.timezone, PAGE_ROWS)
        return
    writer = _PageWriter(account.timezone)
    for page in _pages(account.id, f):
        text = writer.write(*page)
        del page  # not kept while the next page is read
        yield text


def slice_text(
    account_id: int, f: GenerationFilter, after: Keyset | None, pages: int, writer: _PageWriter
) -> tuple[str, int, Keyset | None]:
    """The lines of at most `pages` pages of rows from the keyset `after` (None: the newest), how many rows
    they hold, and the keyset to go on from (None: no more rows)."""
    texts, rows, more = [], 0, False
    for page in _pages(account_id, f, after, pages):
        texts.append(writer.write(*page))
        rows += len(page[0])
        more, after = len(page[0]) == PAGE_ROWS, _after(page[0])
        del page
    return ''.join(texts), rows, (after if more and rows else None)


Keyset = tuple[str, str]  # (created_at as the page query reads it, id) of the last row sent


def _pages(
    account_id: int, f: GenerationFilter, after: Keyset | None = None, limit: int | None = None
) -> Iterator[tuple[list[tuple], str]]:
    """The pages of rows after `after` (None: from the newest), at most `limit` of them, each read in its own
    read transaction, with their layout (see _read_page).

    On SQLite, in this thread. On a database server, each page is read in a helper thread while the one
    before is formatted: the server works on the next page meanwhile (Python waits for it without the GIL).
    SQLite gives the GIL back at every row, which a second thread would turn into waits of milliseconds."""
    queries = _PageQueries(account_id, f)
    left = limit if limit is not None else -1  # pages still wanted (-1: no limit)
    # one connection for the export (a read-only one, see db.read_scope), a transaction a page
    with db.get_engine().execution_options(read_only=True).connect() as connection:
        if queries.sqlite:
            page = _read_page(connection, queries, after)
            while page[0]:
                after, more = _after(page[0]), len(page[0]) == queries.limit
                yield page
                del page
                left -= 1
                if not more or left == 0:
                    return
                page = _read_page(connection, queries, after)
            return
        with ThreadPoolExecutor(1, thread_name_prefix='csv-export') as reader:  # waits for its read on exit
            page = reader.submit(_read_page, connection, queries, after).result()
            while page[0]:
                left -= 1
                more = len(page[0]) == queries.limit and left != 0
                after = _after(page[0])
                next_page = reader.submit(_read_page, connection, queries, after) if more else None
                yield page
                del page
                if next_page is None:
                    return
                page = next_page.result()


def _read_page(connection: Connection, queries: _PageQueries, after: Keyset | None) -> tuple[list[tuple], str]:
    """The page after `after` (None: the first), and its layout: 'joined' texts (with the floats 'packed'
    on a database server) or one field a column, 'fields'."""
    keyset = {}
    if after is not None:  # bound as SQLite stores the time, or as an aware datetime for a database server
        keyset = {'after_at': after[0] if queries.sqlite else _utc_moment(after[0]), 'after_id': after[1]}
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


def _after(rows: list[tuple]) -> Keyset:
    """The keyset bound after these rows: (created_at as the page query reads it, id)."""
    return rows[-1][STORED_AT], rows[-1][ID]


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
    key_id to currency come as one text, and grid_basis, methodology_version and estimated as another (see
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
        end = [_comma_joined(sqlite, g.grid_basis, g.methodology_version, estimated)]
    else:
        tokens = (g.prompt_tokens, g.completion_tokens, g.total_tokens)
        middle = [func.coalesce(cast(g.api_key_id, String), ''), g.requested_model, g.model, g.provider, g.region,
                  _comma_joined(sqlite, *tokens, g.latency_ms), g.status, g.cost_micros, g.currency]  # fmt: skip
        end = [g.grid_basis, g.methodology_version, estimated]
    figures = [g.energy_wh, g.energy_wh_low, g.energy_wh_high, g.carbon_g, g.carbon_g_low, g.carbon_g_high,
               g.grid_intensity_g_per_kwh, g.embodied_g, g.embodied_g_low, g.embodied_g_high,
               g.input_energy_wh]  # fmt: skip
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
        g.pue,  # NULL on eco-1 records: never joined nor packed
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
    for index, fields in ((JOINED_MIDDLE, 12), (JOINED_END, 3)):
        joined = ',' + ','.join(map(itemgetter(index), rows))  # so that every field starts after a comma
        if (
            joined.count(',') != fields * len(rows)
            or any(c in joined for c in _QUOTED[1:])  # '"', '\r', '\n'
            or any(c in joined and ',' + c in joined for c in FORMULA_STARTS)
        ):
            return False
    return True
