"""The landing page never scans the generations table: every query on it is served by an index."""

from datetime import UTC, datetime

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
