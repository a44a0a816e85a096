"""The CSV lines of the generations export (services/usage/exports.py), built for speed: a page of rows of
its page query becomes text column by column, with bounded memos for repeated values and cached
time-zone offsets. The text equals what `csv.writer` writes for `safe_cell` of each value.
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from operator import itemgetter, mod
from zoneinfo import ZoneInfo

from services import db
from services.models import Generation
from services.money import decimal_string
from services.timeutil import as_utc

FORMULA_STARTS = ('=', '+', '-', '@', '\t', '\r')
MEMO_SIZE = 20_000  # distinct values remembered per kind before starting afresh (a few MB at most)

# The columns of a page row, in the order of _page_query: one field a column...
ID, STORED_AT, COST = 0, 1, 9
TEXTS = (3, 4, 5, 6, 8, 10, 23, 24)  # requested_model, model, provider, region, status, currency, grid_basis,
# methodology_version
FLOATS = range(11, 22)  # energy_wh (value, low, high), carbon_g (value, low, high), grid intensity, embodied_g
# (value, low, high), input_energy_wh
PUE = 22  # a float or None
# ...or with joined texts: id, created_at, key_id to currency, the eleven floats (on a database server, packed
# in one value), pue, grid basis with methodology and estimated, external id
JOINED_MIDDLE, JOINED_FLOATS, JOINED_PUE, JOINED_END = 2, range(3, 14), -3, -2
PACKED = 3

_QUOTED = (',', '"', '\r', '\n')  # csv.writer quotes a field holding any of these
_FIRST = itemgetter(slice(0, 1))
_HEAD = itemgetter(slice(0, 16))  # 'YYYY-MM-DD HH:MM' of a stored time
_STORED_TAIL = itemgetter(slice(16, None))  # ':SS.ffffff' of a stored time
_HOUR_END = timedelta(minutes=59, seconds=59, microseconds=999_999)  # from the start of an hour to its last instant
_WHOLE_MINUTE = timedelta(minutes=1)


def safe_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return '' if value is None else value


class _PageWriter:
    """Rows of _page_query -> their CSV lines, each ending in CRLF as csv.writer ends them."""

    def __init__(self, zone: str):
        self.cell = cell = _cell_writer()
        self.times = _TimeTexts(zone, cell)
        self.text = _Memo(cell).__getitem__
        self.numbers = _FloatsMemo(cell).__getitem__
        pue = _FloatMemo(cell)
        pue[None] = ''  # eco-1 records have none
        self.pue = pue.__getitem__
        self.packed = _PackedFloatsMemo(self.numbers).__getitem__
        self.money = _Memo(lambda micros: cell(decimal_string(micros))).__getitem__

    def write(self, rows: list[tuple], layout: str) -> str:
        """The lines of rows read in this layout (see _read_page)."""
        columns: list = list(zip(*rows, strict=True))
        if layout == 'fields':
            for index in TEXTS:
                columns[index] = map(self.text, columns[index])
            columns[COST] = map(self.money, columns[COST])
        pue = PUE if layout == 'fields' else JOINED_PUE
        columns[pue] = map(self.pue, columns[pue])
        if layout == 'packed':
            columns[PACKED] = map(self.packed, columns[PACKED])
        else:
            floats = FLOATS if layout == 'fields' else JOINED_FLOATS
            figures = zip(*columns[floats.start : floats.stop], strict=True)
            columns[floats.start : floats.stop] = [map(self.numbers, figures)]  # the eleven fields in one
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
    not a key (0.0 and -0.0 are equal keys, and NaN equals nothing): it is remembered by its exact bytes
    instead (eco-1 records hold zeros in their embodied figures, so this path is kept short)."""

    def __init__(self, cell: Callable[[object], str]):
        super().__init__()
        self.one = _FloatMemo(cell).__getitem__
        self.exact: dict[bytes, str] = {}

    def __missing__(self, values: tuple):
        try:
            key = struct.pack(f'>{len(values)}d', *values)
        except struct.error:  # not numbers
            return ','.join(map(self.one, values))
        text = self.exact.get(key)
        if text is not None:
            return text
        text = ','.join(map(self.one, values))
        if any(value.__class__ is not float for value in values):  # an int has the bytes of its float
            return text
        remember, memo = (values, self) if all(value and value == value for value in values) else (key, self.exact)
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[remember] = text
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
    return as_utc(datetime.fromisoformat(text))
