"""The edges of the calendar and of the background job: no overflow, no round that runs for minutes, and one
account's trouble does not hold up another's invoices; key spend is counted by recording time."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account
from services.account.demo import create_demo_account
from services.billing.invoices import MAX_ISSUED_PER_CALL, ensure_invoices, month_bounds
from services.keys.api_keys import create_key
from services.keys.spend import key_month_usage, month_usage_by_key
from services.models import Account, Invoice, KeySpend, UsageHour
from services.timeutil import local, month_start_utc, utc
from services.usage.ingest import record_generation
from workers.delivery import sweep

YEAR_ONE = datetime(1, 1, 1, tzinfo=UTC)
GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 100, 'completion_tokens': 50}


@pytest.mark.parametrize('zone', ['Asia/Tokyo', 'America/New_York', 'Pacific/Kiritimati', 'UTC'])
def test_the_first_and_last_months_of_the_calendar_do_not_overflow(zone):
    start, end = month_bounds(zone, 1, 1)
    assert start <= datetime(1, 1, 2, tzinfo=UTC) < end
    start, end = month_bounds(zone, 9999, 12)
    assert start < end and end.year == 9999
    assert local(YEAR_ONE, zone).year in (1,) and utc(local(YEAR_ONE, zone)) >= YEAR_ONE
    assert month_start_utc(zone, YEAR_ONE + timedelta(days=3)).year == 1


def test_a_year_one_row_issues_a_bounded_number_of_invoices_newest_first(session, account):
    account.timezone = 'Asia/Tokyo'
    record_generation(session, account, GEN | {'created_at': YEAR_ONE})
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    assert ensure_invoices(session, account, now=now) == MAX_ISSUED_PER_CALL
    numbers = sorted(session.exec(select(Invoice.number)), reverse=True)
    assert numbers[0] == 'INV-2026-11' and numbers[-1] == 'INV-2024-12'
    assert ensure_invoices(session, account, now=now) == MAX_ISSUED_PER_CALL  # the next round goes on from there


def test_a_failing_account_does_not_stop_the_round_for_the_others(database_url, caplog):
    db.init_db(database_url)
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    with db.session_scope() as session:
        broken = create_account(session, name='Broken', timezone='Europe/Paris')
        fine = create_account(session, name='Fine', timezone='Europe/Paris')
        for account in (broken, fine):
            record_generation(session, account, GEN | {'created_at': datetime(2026, 10, 5, tzinfo=UTC)})
        broken.timezone = 'Not/AZone'  # whatever goes wrong for one account
    with caplog.at_level(logging.WARNING, logger='lowrouter'):
        sweep(now)
    assert f'account {broken.id}' in caplog.text
    with db.session_scope() as session:
        issued = set(session.exec(select(Invoice.number).where(Invoice.account_id == fine.id)))
    assert issued == {'INV-2026-10', 'INV-2026-11'}


def test_key_spend_counts_by_recording_time_and_usage_by_created_at(session, account):
    key = create_key(session, account, name='k', scopes=['ingest'], spend_limit='5').key
    now = datetime.now(UTC)
    record_generation(
        session, account, GEN | {'cost': '0.30', 'created_at': now - timedelta(days=40)}, api_key_id=key.id
    )
    record_generation(session, account, GEN | {'cost': '0.20'}, api_key_id=key.id)
    this_month = key_month_usage(session, account, key)
    assert this_month.cost_micros == 500_000  # both were recorded this month
    assert this_month.requests == 1  # only one happened this month, as the dashboard's usage says
    assert month_usage_by_key(session, account)[key.id] == this_month


def test_demo_history_counts_where_it_happened_and_its_closed_months_are_invoiced(session):
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    demo = create_demo_account(session, now=now)
    start = month_start_utc(demo.timezone, now)
    spent = session.exec(select(func.sum(KeySpend.cost_micros)).where(KeySpend.hour >= start)).one()
    used = session.exec(select(func.sum(UsageHour.cost_micros)).where(UsageHour.hour >= start)).one()
    assert spent == used > 0  # seeded traffic is recorded as it happens, not all "now"
    total = session.exec(select(func.sum(KeySpend.cost_micros))).one()
    assert total == session.exec(select(func.sum(UsageHour.cost_micros))).one()
    numbers = set(session.exec(select(Invoice.number).where(Invoice.status == 'issued')))
    last_month = local(start - timedelta(days=1), demo.timezone)
    assert f'INV-{last_month.year}-{last_month.month:02d}' in numbers and len(numbers) >= 2
    assert session.get(Account, demo.id).is_demo
