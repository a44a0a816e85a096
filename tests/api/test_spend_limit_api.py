"""A key's monthly spend limit holds exactly: batches as a whole, spend by recording time; created_at stays
out of invoiced months; reading invoices never issues them."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from services import db
from services.billing.invoices import ensure_invoices, month_bounds
from services.keys.api_keys import create_key
from services.models import Account, Generation, Invoice, KeySpend, UsageHour, utcnow
from services.timeutil import local
from services.usage.ingest import record_generation
from workers.delivery import sweep

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 100, 'completion_tokens': 50}


@pytest.fixture
def limited(account_id) -> dict:
    """Headers of an ingest key limited to 0.10 a month."""
    with db.session_scope() as session:
        new = create_key(session, session.get(Account, account_id), name='l', scopes=['ingest'], spend_limit='0.10')
    return {'Authorization': f'Bearer {new.secret}'}


def _stored() -> tuple[int, int, int]:
    """Generations, their requests in usage_hour, and key spend in micros."""
    with db.session_scope() as session:
        return (
            session.exec(select(func.count()).select_from(Generation)).one(),
            session.exec(select(func.coalesce(func.sum(UsageHour.requests), 0))).one(),
            session.exec(select(func.coalesce(func.sum(KeySpend.cost_micros), 0))).one(),
        )


async def test_a_batch_is_checked_as_a_whole_and_over_the_limit_writes_nothing(api, limited):
    batch = [GEN | {'cost': '0.10', 'external_id': f'e{i}'} for i in range(100)]  # 10.00 against 0.10
    refused = await api.post('/api/v1/generations/batch', json={'generations': batch}, headers=limited)
    assert refused.status_code == 402 and refused.json()['error']['code'] == 'spend_limit_reached'
    assert 'this request costs $10.00' in refused.json()['error']['message']
    assert _stored() == (0, 0, 0)
    two = [GEN | {'cost': '0.04'}, GEN | {'cost': '0.06'}]
    assert (await api.post('/api/v1/generations/batch', json={'generations': two}, headers=limited)).status_code == 201
    assert _stored() == (2, 2, 100_000)
    one_more = await api.post('/api/v1/generations', json=GEN | {'cost': '0.000001'}, headers=limited)
    assert one_more.status_code == 402 and 'has used its monthly spend limit of $0.10' in one_more.text
    assert _stored() == (2, 2, 100_000)


async def test_backdated_spend_counts_in_the_month_it_was_recorded(api, limited):
    old = (datetime.now(UTC) - timedelta(days=40)).isoformat()  # last month or the one before: no invoice yet
    backdated = await api.post('/api/v1/generations', json=GEN | {'cost': '0.08', 'created_at': old}, headers=limited)
    assert backdated.status_code == 201, backdated.text
    refused = await api.post('/api/v1/generations', json=GEN | {'cost': '0.03'}, headers=limited)
    assert refused.status_code == 402
    assert '$0.02 left of its monthly spend limit of $0.10' in refused.json()['error']['message']
    fits = await api.post('/api/v1/generations', json=GEN | {'cost': '0.02'}, headers=limited)
    assert fits.status_code == 201
    assert _stored()[2] == 100_000


async def test_created_at_in_the_future_or_long_ago_is_refused(api, make_key):
    headers = make_key('ingest')
    now = datetime.now(UTC)
    cases = {
        (now + timedelta(minutes=10)).isoformat(): 'created_at: is more than 5 minutes in the future',
        '0001-01-01T00:00:00Z': 'created_at: is more than 90 days ago',
        '0001-01-01T00:00:00+09:00': 'created_at: is out of range',
        (now - timedelta(days=91)).isoformat(): 'created_at: is more than 90 days ago',
    }
    for created_at, message in cases.items():
        refused = await api.post('/api/v1/generations', json=GEN | {'created_at': created_at}, headers=headers)
        assert refused.status_code == 422, (created_at, refused.text)
        assert refused.json()['error']['code'] == 'invalid'
        assert refused.json()['error']['message'].startswith(message), refused.json()
    assert _stored() == (0, 0, 0)
    soon = (now + timedelta(minutes=4)).isoformat()  # clocks differ a little
    assert (await api.post('/api/v1/generations', json=GEN | {'created_at': soon}, headers=headers)).status_code == 201


async def test_created_at_in_an_invoiced_month_is_refused(api, account_id, make_key):
    headers = make_key('ingest')
    last_month = _last_month(account_id)
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        record_generation(session, account, GEN | {'created_at': last_month})
        assert ensure_invoices(session, account) >= 1
    before = _stored()
    refused = await api.post('/api/v1/generations', json=GEN | {'created_at': last_month.isoformat()}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()['error']['message'].startswith('created_at: falls in a month already invoiced; give a')
    batch = [GEN, GEN | {'created_at': last_month.isoformat()}]
    refused = await api.post('/api/v1/generations/batch', json={'generations': batch}, headers=headers)
    assert refused.status_code == 422 and refused.json()['error']['message'].startswith('generations.1.created_at:')
    assert _stored() == before
    with db.session_scope() as session:
        issued = session.exec(select(Invoice).where(Invoice.status == 'issued')).all()
        start = month_bounds('Europe/Paris', *_year_month(local(utcnow(), 'Europe/Paris')))[0]
    assert max(i.period_end for i in issued) == start
    now = (await api.post('/api/v1/generations', json=GEN | {'created_at': start.isoformat()}, headers=headers)).json()
    assert now['created_at'].startswith(start.strftime('%Y-%m-%dT%H'))  # the open month begins right there


async def test_reading_invoices_issues_nothing_the_background_job_does(api, account_id, make_key):
    read = make_key('read')
    last_month = _last_month(account_id)
    with db.session_scope() as session:
        record_generation(session, session.get(Account, account_id), GEN | {'created_at': last_month})
    for _ in range(2):
        listed = (await api.get('/api/v1/invoices', headers=read)).json()['items']
        assert [i['status'] for i in listed] == ['draft']
    await asyncio.to_thread(sweep, utcnow())  # one round of the job (every 30 s in each app process)
    listed = (await api.get('/api/v1/invoices', headers=read)).json()['items']
    assert [i['status'] for i in listed] == ['draft', 'issued']


async def test_a_year_one_row_east_of_utc_does_not_break_invoices(api, account_id, make_key):
    read = make_key('read')
    with db.session_scope() as session:  # written before created_at was checked, straight through the service
        account = session.get(Account, account_id)
        account.timezone = 'Asia/Tokyo'
        record_generation(session, account, GEN | {'created_at': datetime(1, 1, 1, tzinfo=UTC)})
    assert (await api.get('/api/v1/invoices', headers=read)).status_code == 200
    await asyncio.to_thread(sweep, utcnow())
    await asyncio.to_thread(sweep, utcnow())
    listed = (await api.get('/api/v1/invoices', headers=read)).json()['items']
    issued = [i for i in listed if i['status'] == 'issued']
    assert len(issued) == 48  # two rounds of the job, newest months first: the last closed month is among them
    here = local(utcnow(), 'Asia/Tokyo')
    assert issued[0]['number'] == 'INV-{}-{:02d}'.format(*_previous(here.year, here.month))


def _last_month(account_id: int) -> datetime:
    with db.session_scope() as session:
        zone = session.get(Account, account_id).timezone
    start, _ = month_bounds(zone, *_year_month(local(utcnow(), zone)))
    return start - timedelta(days=10)


def _year_month(moment: datetime) -> tuple[int, int]:
    return moment.year, moment.month


def _previous(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)
