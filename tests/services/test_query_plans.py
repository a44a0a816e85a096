"""The landing page never scans the generations table: every query on it is served by an index."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, text

from services.billing.ledger import credit_balance
from services.catalog import get_catalog
from services.eco.impact import eco_impact
from services.usage.dashboard import top_models, usage_today
from services.usage.ingest import record_generation
from services.usage.totals import get_generation, recent_generations, spent_this_month


def _statements_of(session, work) -> list[tuple[str, object]]:
    seen = []
    engine = session.get_bind()

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        seen.append((statement, parameters))

    event.listen(engine, 'before_cursor_execute', capture)
    try:
        work()
    finally:
        event.remove(engine, 'before_cursor_execute', capture)
    return seen


def test_dashboard_queries_use_indexes(session, account):
    offer = get_catalog().offers[0]
    for i in range(30):
        record_generation(session, account, {'model': offer.model, 'prompt_tokens': i + 1, 'completion_tokens': 5})
    session.commit()
    now = datetime.now(UTC)
    some_id = recent_generations(session, account.id, limit=1)[0].id

    def landing_page():
        credit_balance(session, account)
        spent_this_month(session, account, now=now)
        usage_today(session, account, now=now)
        top_models(session, account, now=now)
        eco_impact(session, account, now=now)
        recent_generations(session, account.id, limit=50)
        recent_generations(session, account.id, limit=50, model=offer.model)
        get_generation(session, account.id, some_id)

    statements = [
        s for s in _statements_of(session, landing_page) if 'generation' in s[0].split('FROM', 1)[-1].split('WHERE')[0]
    ]
    assert statements, 'the landing page reads generations somewhere'
    dialect = session.get_bind().dialect.name
    for statement, parameters in statements:
        plan = _plan(session, dialect, statement, parameters)
        assert not _full_scan(dialect, plan), f'{statement}\n{plan}'


def _plan(session, dialect: str, statement: str, parameters) -> str:
    connection = session.connection()
    if dialect == 'sqlite':
        rows = connection.exec_driver_sql(f'EXPLAIN QUERY PLAN {statement}', parameters).all()
        return '\n'.join(str(r[-1]) for r in rows)
    connection.execute(text('SET LOCAL enable_seqscan = off'))
    rows = connection.exec_driver_sql(f'EXPLAIN {statement}', parameters).all()
    return '\n'.join(r[0] for r in rows)


def _full_scan(dialect: str, plan: str) -> bool:
    if dialect == 'sqlite':
        return any(line.strip() == 'SCAN generation' for line in plan.splitlines())
    return 'Seq Scan on generation' in plan


def test_api_listing_export_and_retry_queries_use_indexes(session, account):
    from datetime import timedelta

    from services.keys.api_keys import create_key
    from services.routing.whatif import preview
    from services.usage.generations import GenerationFilter, page
    from services.usage.ingest import find_existing_many

    offer = get_catalog().offers[0]
    key = create_key(session, account, name='k', scopes=['ingest']).key
    for i in range(30):
        record_generation(
            session,
            account,
            {'model': offer.model, 'prompt_tokens': i + 1, 'completion_tokens': 5, 'external_id': f'x{i}'},
            api_key_id=key.id if i % 2 else None,
        )
    session.commit()
    now = datetime.now(UTC)
    filters = [
        GenerationFilter(),
        GenerationFilter(model=offer.model),
        GenerationFilter(key_id=key.id),
        GenerationFilter(provider=offer.provider, region=offer.region),
        GenerationFilter(since=now - timedelta(days=1), until=now + timedelta(days=1)),
    ]

    def api_queries():
        for f in filters:
            _, cursor = page(session, account.id, f, limit=5)
            page(session, account.id, f, limit=5, cursor=cursor)
        find_existing_many(session, account.id, [('k1', 'x1'), (None, 'x2')])
        preview(session, account, days=7, now=now)
        eco_impact(session, account, since=now - timedelta(days=7), until=now)  # the weekly e-mail's window

    statements = [
        s for s in _statements_of(session, api_queries) if 'generation' in s[0].split('FROM', 1)[-1].split('WHERE')[0]
    ]
    assert len(statements) >= 2 * len(filters)
    dialect = session.get_bind().dialect.name
    for statement, parameters in statements:
        plan = _plan(session, dialect, statement, parameters)
        assert not _full_scan(dialect, plan), f'{statement}\n{plan}'


def test_batch_retry_lookup_takes_the_unique_keys_on_a_new_postgres_database(session, account):
    """The batch ingest's retry lookup, planned once for every account (a prepared statement's generic plan)
    on a table that has no statistics yet, as a new database filling up fast has before autovacuum's first
    ANALYZE: each value is looked up through its unique index, never by filtering every row of the account
    (which made each batch slower than the one before)."""
    from sqlalchemy import literal_column, select
    from sqlalchemy.dialects.postgresql import asyncpg

    from services.models import Generation
    from services.usage.ingest import find_existing_many

    if session.get_bind().dialect.name != 'postgresql':
        pytest.skip('a PostgreSQL planner matter')
    offer = get_catalog().offers[0]
    record_generation(session, account, {'model': offer.model, 'prompt_tokens': 1, 'completion_tokens': 5})
    columns = Generation.__table__.c
    copies = {
        'id': literal_column("'gen-copy-' || n"),
        'external_id': literal_column("'x' || n"),
        'idempotency_key': literal_column("'k' || n"),
    }
    source = select(*[copies.get(c.name, c) for c in columns]).select_from(
        Generation.__table__.join(text('generate_series(1, 3000) AS n'), text('true'))
    )
    session.execute(Generation.__table__.insert().from_select([c.name for c in columns], source))
    session.commit()
    assert session.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = 'generation'")).scalar() == 0

    queries = []
    engine = session.get_bind()

    def capture(_conn, clause, _multiparams, _params, _options):
        queries.append(clause)

    event.listen(engine, 'before_execute', capture)
    try:
        find_existing_many(session, account.id, [('k1', 'x2'), (None, 'x3')])
    finally:
        event.remove(engine, 'before_execute', capture)
    assert len(queries) == 2  # one per unique key (and nothing found: no load by id)
    connection = session.connection()
    connection.execute(text('SET plan_cache_mode = force_generic_plan'))
    for number, query in enumerate(queries):
        # $n placeholders, to PREPARE it as the driver does
        compiled = query.compile(dialect=asyncpg.dialect(), compile_kwargs={'render_postcompile': True})
        connection.exec_driver_sql(f'PREPARE lookup{number} AS {compiled.string}')
        values = ', '.join(_literal(compiled.params[name]) for name in compiled.positiontup)
        explained = connection.exec_driver_sql(f'EXPLAIN EXECUTE lookup{number}({values})')
        plan = '\n'.join(row[0] for row in explained)
        scans = [line for line in plan.splitlines() if ' on generation' in line]
        assert scans and all(('uq_generation_' in line or 'generation_pkey' in line) for line in scans), plan
    session.rollback()


def _literal(value) -> str:
    """A value of the test's statements as SQL text (EXECUTE takes no parameters of the driver's)."""
    if isinstance(value, list):
        return f'ARRAY[{", ".join(map(_literal, value))}]::varchar[]'
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value))
