"""Fill a database with N generations for the benchmarks, fast enough for ten million.

What is stored is what the ingestion service stores: a pool of demo-like requests (real routing
decisions and traces, several keys and models) is priced and stamped once by `prepare_generation`;
each of the N generations is one of those requests at its own moment, with its own id. Rows go in
with the driver's bulk insert (executemany on SQLite, COPY on PostgreSQL) and are added to the
rollups and key spend by `add_to_totals`, in batches. tests/services/test_bench_fill.py proves the tables equal
those written by `record_generation` for the same requests.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, create_engine, func
from sqlmodel import Session, select

from services import db
from services.account.accounts import create_account, current_account
from services.account.demo import DEMO_KEYS, _demo_key, demo_traffic
from services.catalog import get_catalog
from services.models import Account, ApiKey, Generation
from services.usage.generation_ids import ID_ALPHABET, ID_TIME_DIGITS
from services.usage.ingest import GenerationIn, add_to_totals, prepare_generation

POOL = 4000  # distinct requests
DAYS = 60  # the history spans the last DAYS days, up to now
BATCH = 20_000
COLUMNS = tuple(c.name for c in Generation.__table__.columns)


@dataclass(frozen=True)
class Planned:
    """One generation to store: which request of the pool, when, under which id."""

    request: int
    created_at: datetime
    generation_id: str


def fill(url: str, n: int, *, seed: int = 1, now: datetime | None = None, quiet: bool = False) -> int:
    """Make the database at `url` hold at least `n` generations (kept between runs). Returns the count."""
    db.init_db(url)
    with db.session_scope() as session:
        have = session.exec(select(func.count()).select_from(Generation)).one()
        account = current_account(session)
        if account is None:
            account = create_account(session, name='Bench', timezone='Europe/Berlin')
        pool = request_pool(session, account, seed)
    if have >= n:
        return have
    began = time.perf_counter()
    writer = BulkWriter(prepared_rows(account, pool))
    plan = schedule(n - have, seed=seed + have, now=now or datetime.now(UTC))
    pending: list[Planned] = []
    written = have
    for planned in plan:
        pending.append(planned)
        if len(pending) == BATCH:
            written += writer.write(pending)
            pending = []
            if not quiet:
                print(f'\r  {written:,} of {n:,} generations', end='', flush=True)
    writer.write(pending)
    settle(url)
    if not quiet:
        print(f'\rfilled {n - have:,} generations in {time.perf_counter() - began:.0f} s', flush=True)
    return n


def settle(url: str) -> None:
    """PostgreSQL: vacuum and analyze what was just loaded, as autovacuum would in time. Otherwise the
    measurements that follow share the machine with autovacuum catching up on millions of new rows."""
    if not url.startswith('postgresql'):
        return
    engine = create_engine(url, isolation_level='AUTOCOMMIT')
    with engine.connect() as connection:
        connection.exec_driver_sql('VACUUM (ANALYZE) generation, usage_hour, usage_day, route_hour')
    engine.dispose()


def request_pool(session: Session, account: Account, seed: int) -> list[tuple[int | None, GenerationIn]]:
    """(key id, request without a moment) pairs: the demo's keys, policies and traffic mix."""
    now = datetime(2026, 1, 1, tzinfo=UTC)  # the pool is the same whenever it is drawn
    keys = list(session.exec(select(ApiKey).where(ApiKey.account_id == account.id).order_by(ApiKey.id)))
    if not keys:  # first run: the demo's keys (a later run finds them)
        key_rng = random.Random(seed)
        keys = [_demo_key(session, account, spec, key_rng, now) for spec in DEMO_KEYS]
    rng = random.Random(seed + 1)
    pool = []
    for key, payload in demo_traffic(get_catalog(), keys, rng, now):
        pool.append((key.id, payload.model_copy(update={'created_at': None})))
        if len(pool) == POOL:
            break
    return pool


def prepared_rows(account: Account, pool: list[tuple[int | None, GenerationIn]]) -> list[dict[str, Any]]:
    """Each request of the pool priced and stamped by the ingestion service (moment and id set per row)."""
    catalog = get_catalog()
    return [prepare_generation(catalog, account, payload, api_key_id=key_id) for key_id, payload in pool]


def schedule(count: int, *, seed: int, now: datetime) -> Iterator[Planned]:
    """`count` generations spread over the last DAYS days, oldest first, each a random request of the pool."""
    rng = random.Random(seed)
    start = now - timedelta(days=DAYS)
    step = DAYS * 86_400_000_000 / count  # microseconds between two generations
    base = int(start.timestamp() * 1_000_000)
    for i in range(count):
        micros = base + int((i + rng.random()) * step)
        moment = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
        yield Planned(rng.randrange(POOL), moment, generation_id(micros // 1000, rng))


def generation_id(millis: int, rng: random.Random) -> str:
    """The format of services.usage.generation_ids.new_generation_id, made quickly."""
    stamp = []
    for _ in range(ID_TIME_DIGITS):
        millis, digit = divmod(millis, 36)
        stamp.append(ID_ALPHABET[digit])
    tail, bits = [], rng.getrandbits(64)
    for _ in range(20 - ID_TIME_DIGITS):
        bits, digit = divmod(bits, 36)
        tail.append(ID_ALPHABET[digit])
    return 'gen-' + ''.join(reversed(stamp)) + ''.join(tail)


def row_for(rows: list[dict[str, Any]], planned: Planned) -> dict[str, Any]:
    return rows[planned.request] | {'id': planned.generation_id, 'created_at': planned.created_at}


class BulkWriter:
    """Writes batches of planned generations: rows bound as the ORM binds them (same type processors),
    sent through the driver's bulk path, and added to the rollups by the service function."""

    def __init__(self, rows: list[dict[str, Any]]):
        self.rows = rows
        dialect = db.get_engine().dialect
        columns = Generation.__table__.c
        self.processors = {c: _processor(columns[c].type, dialect) for c in COLUMNS}
        self.bound = [tuple(self._bind(c, row[c]) for c in COLUMNS) for row in rows]
        self.copy = dialect.name == 'postgresql'

    def _bind(self, column: str, value: Any) -> Any:
        processor = self.processors[column]
        return value if processor is None else processor(value)

    def write(self, batch: list[Planned]) -> int:
        if not batch:
            return 0
        at_id, at_created = COLUMNS.index('id'), COLUMNS.index('created_at')
        values = []
        for planned in batch:
            value = list(self.bound[planned.request])
            value[at_id], value[at_created] = planned.generation_id, self._bind('created_at', planned.created_at)
            values.append(value)
        with db.session_scope() as session:
            driver = session.connection().connection.driver_connection
            names = ', '.join(COLUMNS)
            if self.copy:
                with driver.cursor() as cursor, cursor.copy(f'COPY generation ({names}) FROM STDIN') as copy:
                    for value in values:
                        copy.write_row(value)
            else:
                marks = ', '.join('?' for _ in COLUMNS)
                driver.cursor().executemany(f'INSERT INTO generation ({names}) VALUES ({marks})', values)
            add_to_totals(session, [row_for(self.rows, planned) for planned in batch])
        return len(batch)


def _processor(column_type, dialect):
    """What SQLAlchemy would hand the driver for a value of this column: the dialect's own processing too
    (on SQLite a time is stored as 'YYYY-MM-DD HH:MM:SS.ffffff', as the app stores it, not as the driver's
    default adapter would write it)."""
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    if processor is None and isinstance(column_type, JSON):  # psycopg adapts JSON itself; COPY needs text
        return lambda value: None if value is None else json.dumps(value)
    return processor
