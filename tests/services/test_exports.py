"""The generations CSV: byte-for-byte what it has always been, for any data and any time zone."""

from __future__ import annotations

import csv
import io
import random
import sqlite3
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, insert, select

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from services.models import Generation
from services.money import decimal_string
from services.usage import _csv_lines as csv_lines
from services.usage import exports
from services.usage.exports import COLUMNS, generations_csv, safe_cell
from services.usage.generations import GenerationFilter, filtered

FLOATS = dict(
    energy_wh_low=0.1,
    energy_wh=0.30000000000000004,
    energy_wh_high=1e-05,
    carbon_g_low=12.5,
    carbon_g=1e16,
    carbon_g_high=123456789.123,
    grid_intensity_g_per_kwh=400.0,
    embodied_g_low=0.001,
    embodied_g=0.0025,
    embodied_g_high=7.0,
    input_energy_wh=0.0,
)


def _generation(account, **fields) -> Generation:
    base = dict(
        account_id=account.id,
        api_key_id=None,
        requested_model='openai/gpt-4o-mini',
        model='openai/gpt-4o-mini',
        provider='openai',
        region='us-east-1',
        prompt_tokens=812,
        completion_tokens=240,
        total_tokens=1052,
        latency_ms=1830,
        status='completed',
        cost_micros=266,
        currency='USD',
        methodology_version='ecologits-0.11.3',
        estimated=False,
        routing_trace={'considered': ['a', 'b']},
        pue=1.1,
        grid_basis='region',
        **FLOATS,
    )
    return Generation(**(base | fields))


def _pinned_rows(session, account) -> None:
    """A few hand-picked rows: ties on created_at, None values, formula-like text, odd floats, money signs."""
    k1 = create_key(session, account, name='one', scopes=['read']).key.id
    k2 = create_key(session, account, name='two', scopes=['ingest']).key.id
    same = datetime(2026, 3, 8, 6, 59, 59, 999999, tzinfo=UTC)  # a second before New York springs forward
    rows = [
        _generation(account, id='gen-a', created_at=same, api_key_id=k1, external_id='=HYPERLINK("http://evil")'),
        _generation(
            account,
            id='gen-b',
            created_at=same,
            latency_ms=None,
            status='failed',
            cost_micros=0,
            estimated=True,
            pue=None,  # as on an eco-1 record
            grid_basis=None,
            model='anthropic/claude-3-5-haiku',
            provider='anthropic',
            region='eu-west-3',
        ),
        _generation(
            account,
            id='gen-c',
            created_at=datetime(2026, 3, 8, 7, 0, tzinfo=UTC),  # no microseconds: isoformat leaves them out
            api_key_id=k2,
            external_id='+1',
            cost_micros=-5,
            requested_model='=cmd|"/c calc"!A1',
        ),
        _generation(
            account,
            id='gen-d',
            created_at=datetime(2025, 10, 26, 1, 30, 0, 500, tzinfo=UTC),  # Paris falls back at 01:00 UTC
            api_key_id=k1,
            external_id='a,"b"\nc',
            cost_micros=123_456_789_012_345,
            energy_wh=0.0,
        ),
        _generation(account, id='gen-e', created_at=datetime(2024, 2, 29, 23, 45, 1, tzinfo=UTC), external_id='-2'),
        _generation(account, id='gen-f', created_at=datetime(2024, 2, 29, 23, 45, 2, tzinfo=UTC), external_id='@x'),
        _generation(account, id='gen-g', created_at=datetime(2023, 1, 1, tzinfo=UTC), external_id='\tx'),
        _generation(account, id='gen-h', created_at=datetime(2023, 1, 1, 0, 0, 1, tzinfo=UTC), external_id='\rx'),
        _generation(account, id='gen-i', created_at=datetime(2023, 1, 1, 0, 0, 2, tzinfo=UTC), cost_micros=1_000_000),
    ]
    session.add_all(rows)
    session.commit()
    return k1, k2


HEADER = (
    'id,created_at_utc,created_at_local,key_id,requested_model,model,provider,region,prompt_tokens,'
    'completion_tokens,total_tokens,latency_ms,status,cost,currency,energy_wh,energy_wh_low,energy_wh_high,'
    'carbon_g,carbon_g_low,carbon_g_high,grid_intensity_g_per_kwh,embodied_g,embodied_g_low,embodied_g_high,'
    'input_energy_wh,pue,grid_basis,methodology_version,estimated,external_id\r\n'
)
ECO = '0.0025,0.001,7.0,0.0'  # embodied_g (value, low, high), input_energy_wh
TAIL = f'0.30000000000000004,0.1,1e-05,1e+16,12.5,123456789.123,400.0,{ECO},1.1,region,ecologits-0.11.3'
GPT = 'openai/gpt-4o-mini,openai/gpt-4o-mini,openai,us-east-1,812,240,1052'
PINNED = HEADER + (
    'gen-c,2026-03-08T07:00:00+00:00,2026-03-08T12:30:00+05:30,{k2},"\'=cmd|""/c calc""!A1",'
    f"openai/gpt-4o-mini,openai,us-east-1,812,240,1052,1830,completed,'-0.000005,USD,{TAIL},False,'+1\r\n"
    'gen-b,2026-03-08T06:59:59.999999+00:00,2026-03-08T12:29:59.999999+05:30,,openai/gpt-4o-mini,'
    f'anthropic/claude-3-5-haiku,anthropic,eu-west-3,812,240,1052,,failed,0.000000,USD,'
    f'0.30000000000000004,0.1,1e-05,1e+16,12.5,123456789.123,400.0,{ECO},,,ecologits-0.11.3,True,\r\n'
    f'gen-a,2026-03-08T06:59:59.999999+00:00,2026-03-08T12:29:59.999999+05:30,{{k1}},{GPT},1830,completed,'
    f'0.000266,USD,{TAIL},False,"\'=HYPERLINK(""http://evil"")"\r\n'
    f'gen-d,2025-10-26T01:30:00.000500+00:00,2025-10-26T07:00:00.000500+05:30,{{k1}},{GPT},1830,completed,'
    f'123456789.012345,USD,0.0,0.1,1e-05,1e+16,12.5,123456789.123,400.0,{ECO},1.1,region,ecologits-0.11.3,'
    'False,"a,""b""\nc"\r\n'
    f'gen-f,2024-02-29T23:45:02+00:00,2024-03-01T05:15:02+05:30,,{GPT},1830,completed,0.000266,USD,{TAIL},'
    "False,'@x\r\n"
    f'gen-e,2024-02-29T23:45:01+00:00,2024-03-01T05:15:01+05:30,,{GPT},1830,completed,0.000266,USD,{TAIL},'
    "False,'-2\r\n"
)


def test_the_csv_is_byte_for_byte_pinned(session, account):
    k1, k2 = _pinned_rows(session, account)
    account.timezone = 'Asia/Kolkata'
    text = ''.join(generations_csv(account, GenerationFilter(since=datetime(2024, 2, 29, 23, 45, 1, tzinfo=UTC))))
    assert text == PINNED.format(k1=k1, k2=k2)


ZONES = (
    'UTC',
    'Europe/Paris',
    'America/New_York',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'Australia/Lord_Howe',
    'Pacific/Chatham',
    'America/St_Johns',
    'Africa/Casablanca',
    'Antarctica/Troll',
    'Asia/Pyongyang',
    'Pacific/Apia',
)


def _reference_csv(session, account, f: GenerationFilter) -> str:
    """The export as it was first written: ORM objects, every value formatted generically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    zone = ZoneInfo(account.timezone)
    query = filtered(account.id, f).order_by(Generation.created_at.desc(), Generation.id.desc())
    for g in session.exec(query):
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    g.id,
                    g.created_at.isoformat(),
                    g.created_at.astimezone(zone).isoformat(),
                    g.api_key_id,
                    g.requested_model,
                    g.model,
                    g.provider,
                    g.region,
                    g.prompt_tokens,
                    g.completion_tokens,
                    g.total_tokens,
                    g.latency_ms,
                    g.status,
                    decimal_string(g.cost_micros),
                    g.currency,
                    g.energy_wh,
                    g.energy_wh_low,
                    g.energy_wh_high,
                    g.carbon_g,
                    g.carbon_g_low,
                    g.carbon_g_high,
                    g.grid_intensity_g_per_kwh,
                    g.embodied_g,
                    g.embodied_g_low,
                    g.embodied_g_high,
                    g.input_energy_wh,
                    g.pue,
                    g.grid_basis,
                    g.methodology_version,
                    g.estimated,
                    g.external_id,
                )
            ]  # fmt: skip
        )
    return buffer.getvalue()


def _transitions(zone: str, start: datetime, end: datetime) -> list[datetime]:
    """The UTC instants at which `zone` changes its offset (scanned weekly, then bisected to the microsecond)."""
    tz = ZoneInfo(zone)
    found = []
    step = timedelta(days=7)
    moment = start
    while moment < end:
        low, high = moment, moment + step
        if low.astimezone(tz).utcoffset() != high.astimezone(tz).utcoffset():
            while high - low > timedelta(microseconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        moment += step
    return found


NEAR = tuple(
    timedelta(seconds=s)
    for s in (-7200, -3600, -1800, -60, -1, -0.000001, 0, 0.000001, 1, 59.999999, 60, 1799, 1800, 3599.999999, 3600)
)


def _varied_rows(session, account, rng: random.Random, plain: bool = False) -> list[int]:
    """Rows around every kind of offset change, far in the past and future, ties, odd text and numbers.

    `plain`: no model, provider, region, status, currency nor methodology that needs quoting or an
    apostrophe, and no negative cost (ids and external ids as odd as ever)."""
    keys = [create_key(session, account, name=f'k{i}', scopes=['read']).key.id for i in range(3)]
    moments = []
    for zone in ZONES:
        changes = _transitions(zone, datetime(1970, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
        for change in rng.sample(changes, min(4, len(changes))):
            moments += [change + d for d in NEAR]
    moments += [
        datetime(2, 1, 1, 12, tzinfo=UTC),
        datetime(1880, 5, 17, 3, 4, 5, tzinfo=UTC),
        datetime(1900, 6, 15, 8, 17, 31, 500_000, tzinfo=UTC),
        datetime(1911, 3, 10, 23, 59, 59, tzinfo=UTC),
        datetime(1941, 10, 1, 18, 30, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2100, 2, 28, 22, 0, 0, 1, tzinfo=UTC),
        datetime(9998, 12, 30, tzinfo=UTC),
    ]
    start = datetime(2020, 1, 1, tzinfo=UTC).timestamp()
    for _ in range(600):
        moment = datetime.fromtimestamp(start + rng.random() * 10 * 365 * 86400, UTC)
        moments.append(moment.replace(microsecond=0) if rng.random() < 0.1 else moment)
    busy = datetime(2026, 11, 23, 15, 8, tzinfo=UTC)  # many rows in the same minutes, and ties
    moments += [busy + timedelta(seconds=rng.randrange(180), microseconds=rng.randrange(3) * 7) for _ in range(300)]
    moments += [busy] * 25
    texts = ['openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku', 'é日本', 'in-between', ' spaced ', 'tab\there']
    if not plain:
        texts[3:] = ['@odd', 'with,comma', 'say "hi"', '-minus', 'new\nline']
    providers = ['openai', 'anthropic'] if plain else ['openai', 'anthropic', '=bad']
    costs = [0, 10**15] if plain else [0, -5, 10**15]
    bases = [None, 'region', 'country'] if plain else [None, 'region', '=zone', 'a,b', 'say "x"']
    floats = [0.0, -0.0, 1.0, 400.0, 0.1, 1e-05, 1e16, 123456789.123, 0.30000000000000004, float('inf'), 2.5e-300]
    rows = []
    for i, moment in enumerate(moments):
        external = rng.choice([None] * 6 + ['=1+1', '+33 1 23', '-x', '@me', '\ttab', '\rcr', 'a,"b"\nc', '', 'plain'])
        rows.append(
            _generation(
                account,
                id=rng.choice(['gen-', 'gen-', 'gen-', '=', '-', 'id,']) + f'{rng.getrandbits(40):010x}{i}',
                created_at=moment,
                api_key_id=rng.choice([None, *keys]),
                external_id=None if external is None else f'{external}{i}',
                requested_model=rng.choice(texts),
                model=rng.choice(texts[:3]),
                provider=rng.choice(providers),
                region=rng.choice(['us-east-1', 'eu-west-3']),
                prompt_tokens=rng.randrange(10**6),
                completion_tokens=rng.randrange(10**4),
                total_tokens=rng.randrange(10**6),
                latency_ms=rng.choice([None, rng.randrange(10**6)]),
                status=rng.choice(['completed', 'failed']),
                cost_micros=rng.choice([*costs, rng.randrange(0 if plain else -(10**7), 10**9)]),
                currency=rng.choice(['USD', 'EUR']),
                methodology_version=rng.choice(
                    ['eco-1 (EcoLogits 0.11.3)', 'eco-2 · EcoLogits 0.11.3 · data 3f2a1b9c']
                ),
                estimated=rng.random() < 0.5,
                pue=rng.choice([None, None, 1.1, 1.09, 0.30000000000000004, 1.0]),
                grid_basis=rng.choice(bases),
                **{
                    name: rng.choice([*floats, rng.random() * 10 ** rng.randint(-9, 9), float(rng.randrange(1000))])
                    for name in FLOATS
                },
            )
        )
    session.add_all(rows)
    # another account's rows never show
    other = create_account(session, name='Other', timezone='UTC')
    session.add(_generation(other, id='gen-other', created_at=busy))
    session.commit()
    return keys


@contextmanager
def _reads() -> Iterator[list[str]]:
    """The page reads of generations_csv meanwhile; those reading one field a column end in ' (fields)'."""
    seen: list[str] = []
    engine = db.get_engine()

    def count(_conn, _cursor, statement, *_):
        if statement.lstrip().startswith('SELECT') and 'FROM generation' in statement:
            seen.append('page (fields)' if 'CAST(generation.api_key_id AS' in statement else 'page (joined)')

    event.listen(engine, 'before_cursor_execute', count)
    try:
        yield seen
    finally:
        event.remove(engine, 'before_cursor_execute', count)


@pytest.fixture
def varied(session, account):
    return _varied_rows(session, account, random.Random(20261124))


def test_every_row_matches_the_generic_formatting_in_any_zone(session, account, varied):
    for zone in ZONES:
        account.timezone = zone
        expected = _reference_csv(session, account, GenerationFilter())
        assert ''.join(generations_csv(account, GenerationFilter())) == expected, zone


def test_plain_pages_are_read_once_and_match_the_generic_formatting(session, account, monkeypatch):
    _varied_rows(session, account, random.Random(11), plain=True)
    monkeypatch.setattr(exports, 'PAGE_ROWS', 50)
    rows = session.exec(select(func.count()).where(Generation.account_id == account.id)).scalar_one()
    for zone in ('Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe', 'Pacific/Chatham'):
        account.timezone = zone
        with _reads() as reads:
            text = ''.join(generations_csv(account, GenerationFilter()))
        assert text == _reference_csv(session, account, GenerationFilter()), zone
        assert set(reads) == {'page (joined)'} and len(reads) == rows // 50 + 1


@pytest.mark.parametrize(
    'field, value',
    [
        ('requested_model', 'a,b'),
        ('model', 'x\ny'),
        ('provider', 'p"q'),
        ('region', 'r\r'),
        ('status', '-s'),
        ('currency', '@c'),
        ('methodology_version', '+m'),
        ('methodology_version', 'm,n'),
        ('grid_basis', '-g'),
        ('grid_basis', 'g"h'),
        ('requested_model', '\tt'),
        ('region', '=1+1'),
        ('cost_micros', -1),
        ('cost_micros', -(10**12)),
        ('requested_model', 'a\x00b'),  # SQLite only: PostgreSQL refuses NUL in text
    ],
)
def test_one_odd_value_makes_its_page_read_again(session, account, field, value):
    if '\x00' in str(value) and db.get_engine().dialect.name != 'sqlite':
        pytest.skip('PostgreSQL stores no NUL character in text')
    rows = [_generation(account, id=f'gen-{i}', created_at=datetime(2026, 1, 1, i, tzinfo=UTC)) for i in range(4)]
    setattr(rows[2], field, value)
    session.add_all(rows)
    session.commit()
    with _reads() as reads:
        text = ''.join(generations_csv(account, GenerationFilter()))
    assert text == _reference_csv(session, account, GenerationFilter())
    assert reads == ['page (joined)', 'page (fields)']


def test_filters_and_small_pages_match_the_generic_formatting(session, account, varied, monkeypatch):
    monkeypatch.setattr(exports, 'PAGE_ROWS', 7)  # many page ends, some inside runs of equal created_at
    account.timezone = 'Asia/Kolkata'
    key = varied[1]
    since, until = datetime(2023, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    for f in (
        GenerationFilter(),
        GenerationFilter(model='anthropic/claude-3-5-haiku'),
        GenerationFilter(provider='=bad'),
        GenerationFilter(region='eu-west-3', key_id=key),
        GenerationFilter(key_id=key, since=since, until=until),
        GenerationFilter(
            since=datetime(2026, 11, 23, 15, 8, tzinfo=UTC), until=datetime(2026, 11, 23, 15, 9, tzinfo=UTC)
        ),
        GenerationFilter(model='nobody/none'),
    ):
        expected = _reference_csv(session, account, f)
        with _reads() as reads:
            assert ''.join(generations_csv(account, f)) == expected, f
        assert 'page (fields)' in reads or f.model == 'nobody/none'  # odd texts: pages read again
        assert expected.count('\r\n') > 1 or f.model == 'nobody/none'


def test_a_big_export_is_read_and_handed_on_a_page_at_a_time(session, account, monkeypatch):
    monkeypatch.setattr(exports, 'PAGE_ROWS', 500)
    monkeypatch.setattr(csv_lines, 'MEMO_SIZE', 500)  # the formatted-value caches are bounded too
    rng = random.Random(3)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    values = [rng.random() * 10 for _ in range(300)]
    rows = []
    for i in range(20_000):
        row = _generation(account, id=f'gen-{i:08d}', created_at=start + timedelta(seconds=i))
        rows.append(row.model_dump() | {'cost_micros': rng.randrange(10**6)} | {f: rng.choice(values) for f in FLOATS})
    session.execute(insert(Generation), rows)
    session.commit()
    with _reads() as reads:
        chunks = generations_csv(account, GenerationFilter())
        assert next(chunks).startswith('id,created_at_utc,') and reads == []
        first = next(chunks)
        # handed on before the rest is read (a database server may be reading the next page meanwhile)
        assert len(reads) <= 2 and first.count('\r\n') == 500
        tracemalloc.start()
        lines, size = first.count('\r\n'), len(first)
        for chunk in chunks:
            lines, size = lines + chunk.count('\r\n'), size + len(chunk)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert lines == 20_000 and len(reads) == 41  # 40 full pages, then an empty one
    # A page's rows and text at a time: the rows of the whole export would take about 4 times its text.
    assert peak < size / 3, (peak, size)


def test_every_page_query_seeks_its_page_in_an_index(session, account, monkeypatch):
    """Each page starts where the last one ended, found in an index: an export is linear in its rows."""
    monkeypatch.setattr(exports, 'PAGE_ROWS', 5)
    key = create_key(session, account, name='k', scopes=['read']).key.id
    start = datetime(2026, 4, 1, tzinfo=UTC)
    session.add_all(
        _generation(
            account, id=f'gen-{i:03d}', created_at=start + timedelta(minutes=i), api_key_id=key if i % 2 else None
        )
        for i in range(40)
    )
    session.commit()
    filters = [
        GenerationFilter(),
        GenerationFilter(model='openai/gpt-4o-mini'),
        GenerationFilter(key_id=key),
        GenerationFilter(provider='openai', region='us-east-1'),
        GenerationFilter(since=start + timedelta(minutes=3), until=start + timedelta(minutes=33)),
    ]
    statements = []
    engine = db.get_engine()

    def capture(_conn, _cursor, statement, parameters, *_):
        if statement.lstrip().startswith('SELECT') and 'FROM generation' in statement:
            statements.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', capture)
    try:
        for f in filters:
            assert ''.join(generations_csv(account, f)).count('\r\n') > 5
    finally:
        event.remove(engine, 'before_cursor_execute', capture)
    dialect = engine.dialect.name
    later_pages = [(s, p) for s, p in statements if 'generation.id) <' in s]  # after a keyset bound
    assert len(later_pages) >= 4 * len(filters)
    with engine.connect() as connection:
        for statement, parameters in later_pages:
            if dialect == 'sqlite':
                plan = ' '.join(
                    r[-1] for r in connection.exec_driver_sql(f'EXPLAIN QUERY PLAN {statement}', parameters)
                )
                assert 'SEARCH generation USING INDEX' in plan and '(created_at,id)<' in plan, plan
            else:
                connection.exec_driver_sql('SET enable_seqscan = off')
                plan = ' '.join(r[0] for r in connection.exec_driver_sql(f'EXPLAIN {statement}', parameters))
                assert 'Index Cond' in plan and 'ROW(created_at' in plan and 'Sort' not in plan, plan


def test_no_transaction_stays_open_while_the_client_reads(session, account, monkeypatch):
    monkeypatch.setattr(exports, 'PAGE_ROWS', 10)
    start = datetime(2026, 6, 1, tzinfo=UTC)
    session.add_all(_generation(account, id=f'gen-{i:02d}', created_at=start + timedelta(seconds=i)) for i in range(35))
    session.commit()
    chunks = generations_csv(account, GenerationFilter())
    text = next(chunks) + next(chunks)  # the header and a first page: the export now waits for its client
    engine = db.get_engine()
    if engine.dialect.name == 'sqlite':  # any open reader would keep a checkpoint from the end of the WAL
        with closing(sqlite3.connect(engine.url.database, isolation_level=None)) as other:
            busy, _, _ = other.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()
        assert busy == 0
    else:  # the next page may be being read ahead right now, in its own short transaction: that one ends
        assert _no_open_transaction_within(engine, seconds=5)
    with db.session_scope() as writer:  # and writers go on meanwhile
        writer.add(_generation(account, id='gen-new', created_at=start + timedelta(days=1)))
    text += ''.join(chunks)
    assert text.count('\r\n') == 1 + 35 and 'gen-new' not in text  # newer than the export's first page


def _no_open_transaction_within(engine, *, seconds: float) -> bool:
    """Whether, within `seconds`, no other connection of this PostgreSQL database is inside a transaction."""
    deadline = time.monotonic() + seconds
    while True:
        with engine.connect() as other:
            states = set(
                other.exec_driver_sql(
                    'SELECT state FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() '
                    "AND backend_type = 'client backend'"
                ).scalars()
            )
        if not states & {'active', 'idle in transaction'}:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def test_figures_holding_zeros_or_nan_are_written_as_they_are_every_time():
    """0.0 and -0.0 are equal keys and NaN equals nothing: the memo of figure tuples must not mix them up (eco-1
    records hold zeros in their embodied figures)."""
    cell = csv_lines._cell_writer()
    memo = csv_lines._FloatsMemo(cell)
    nan = float('nan')
    cases = [(0.0, 1.5), (-0.0, 1.5), (0.0, 1.5), (nan, 0.0), (-0.0, nan), (0.0, 0.0), (None, 2.0), (2.5, 1.5)]
    for values in cases * 3:
        assert memo[values] == ','.join(cell(v) for v in values), values
    assert memo[(-0.0, 1.5)] == '-0.0,1.5' and memo[(0.0, 1.5)] == '0.0,1.5' and memo[(nan, -0.0)] == 'nan,-0.0'
