"""The read of the live tail of /logs (`newer_rows`): the view's rows from a moment on, newest first, bounded,
with its filters, inside its range, and served by an index (never a scan of the generations)."""

from datetime import UTC, datetime, timedelta

from services.catalog import get_catalog
from services.usage.ingest import record_generation
from services.usage.logs import LogQuery, newer_rows
from services.usage.ranges import resolve_range
from tests.services.test_query_plans import _full_scan, _plan, _statements_of


def _record(session, account, model: str, created_at: datetime) -> str:
    offer = next(o for o in get_catalog().offers if o.model == model)
    fields = {'model': model, 'provider': offer.provider, 'region': offer.region, 'created_at': created_at}
    return record_generation(session, account, fields | {'prompt_tokens': 10, 'completion_tokens': 5})[0].id


def _setup(session, account):
    now = datetime.now(UTC)
    models = sorted({o.model for o in get_catalog().offers})[:2]
    ids = {
        'old': _record(session, account, models[0], now - timedelta(minutes=5)),
        'a': _record(session, account, models[0], now - timedelta(seconds=8)),
        'b': _record(session, account, models[1], now - timedelta(seconds=4)),
        'c': _record(session, account, models[0], now - timedelta(seconds=1)),
    }
    session.commit()
    return now, models, ids


def test_the_rows_from_a_moment_on_newest_first_with_the_filters(session, account):
    now, models, ids = _setup(session, account)
    period = resolve_range(account.timezone, 'today', now=now)
    page = newer_rows(session, account, LogQuery(period), now - timedelta(seconds=10), limit=10)
    assert [r.id for r in page.rows] == [ids['c'], ids['b'], ids['a']]
    assert page.next_cursor is None

    page = newer_rows(session, account, LogQuery(period, model=models[0]), now - timedelta(seconds=10), limit=10)
    assert [r.id for r in page.rows] == [ids['c'], ids['a']]
    assert [r.model for r in page.rows] == [models[0]] * 2

    bounded = newer_rows(session, account, LogQuery(period), now - timedelta(seconds=10), limit=2)
    assert [r.id for r in bounded.rows] == [ids['c'], ids['b']]
    assert bounded.next_cursor is not None  # more than the bound: the caller knows it did not get them all


def test_the_range_bounds_the_read(session, account):
    now, _, ids = _setup(session, account)
    last = (now - timedelta(days=1)).date()
    past = resolve_range(account.timezone, 'custom', str(last - timedelta(days=3)), str(last), now=now)
    assert newer_rows(session, account, LogQuery(past), now - timedelta(days=30), limit=10).rows == []

    week = resolve_range(account.timezone, '7d', now=now)  # a moment before the range: read from its start
    page = newer_rows(session, account, LogQuery(week), now - timedelta(days=30), limit=10)
    assert [r.id for r in page.rows] == [ids['c'], ids['b'], ids['a'], ids['old']]


def test_the_read_is_served_by_an_index(session, account):
    now, models, _ = _setup(session, account)
    period = resolve_range(account.timezone, 'today', now=now)
    since = now - timedelta(seconds=10)

    def reads():
        newer_rows(session, account, LogQuery(period), since, limit=200)
        newer_rows(session, account, LogQuery(period, model=models[0], status='completed'), since, limit=200)
        newer_rows(session, account, LogQuery(period, key_id=0), since, limit=200)

    statements = [
        s for s in _statements_of(session, reads) if 'generation' in s[0].split('FROM', 1)[-1].split('WHERE')[0]
    ]
    assert len(statements) == 3
    dialect = session.get_bind().dialect.name
    for statement, parameters in statements:
        plan = _plan(session, dialect, statement, parameters)
        assert not _full_scan(dialect, plan), f'{statement}\n{plan}'
