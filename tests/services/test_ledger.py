import threading
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account
from services.billing.ledger import MAX_TOP_UP, MIN_TOP_UP, TopUpError, credit_balance, top_up
from services.models import Account, LedgerEntry, Notification, Receipt
from services.notifications.queue import queue_low_balance
from services.usage.rollups import add_to_rollups

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just('top_up'), st.integers(MIN_TOP_UP // 10_000, MAX_TOP_UP // 10_000).map(lambda cents: cents * 10_000)
        ),
        st.tuples(st.just('usage'), st.integers(0, 50_000_000)),
    ),
    max_size=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_balance_is_credits_minus_usage_exactly(session, operations):
    account = create_account(session, name='Property')
    credits = usage = 0
    for i, (kind, micros) in enumerate(operations):
        if kind == 'top_up':
            top_up(session, account, micros, method='bank_transfer', idempotency_key=f'k{i}')
            credits += micros
        else:
            add_to_rollups(session, [_usage_row(account.id, micros, i)])
            usage += micros
    assert credit_balance(session, account) == credits - usage
    assert isinstance(credit_balance(session, account), int)
    session.rollback()


def test_concurrent_top_ups_credit_each_key_exactly_once(engine):
    with db.session_scope() as session:
        account_id = create_account(session, name='Busy').id
    errors = []

    def attempt(key: str) -> None:
        try:
            with db.session_scope() as session:
                top_up(session, session.get(Account, account_id), '10.00', method='bank_transfer', idempotency_key=key)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(f'distinct-{i}',)) for i in range(20)]
    threads += [threading.Thread(target=attempt, args=('same-key',)) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session_scope() as session:
        entries = session.exec(select(func.count()).select_from(LedgerEntry)).one()
        numbers = session.exec(select(Receipt.seq)).all()
        account = session.get(Account, account_id)
        assert entries == 21
        assert sorted(numbers) == list(range(1, 22))  # sequential, no gaps, no duplicates
        assert credit_balance(session, account) == 21 * 10_000_000


@pytest.mark.parametrize(
    ('amount', 'message'), [('4.99', 'between'), ('10000.01', 'between'), ('abc', 'decimal'), ('1.0000001', 'decimals')]
)
def test_invalid_amounts_are_refused_and_nothing_is_written(session, account, amount, message):
    with pytest.raises(TopUpError, match=message):
        top_up(session, account, amount, method='bank_transfer', idempotency_key='x')
    assert session.exec(select(func.count()).select_from(LedgerEntry)).one() == 0


def test_receipt_numbers_follow_the_year(session, account):
    result = top_up(session, account, '25.00', method='company_card', idempotency_key='a')
    assert result.receipt.number == f'R-{datetime.now(UTC).year}-000001'
    assert result.receipt.amount_micros == 25_000_000 and result.receipt.reference.startswith('MAN-')


def test_low_balance_is_queued_once_per_crossing(session, account):
    account.low_balance_threshold_micros = 5_000_000
    top_up(session, account, '6.00', method='manual', idempotency_key='first')
    add_to_rollups(session, [_usage_row(account.id, 2_000_000, 1)])
    assert queue_low_balance(session, account) and queue_low_balance(session, account)
    assert session.exec(select(func.count()).select_from(Notification)).one() == 1
    top_up(session, account, '5.00', method='manual', idempotency_key='second')
    add_to_rollups(session, [_usage_row(account.id, 6_000_000, 2)])
    queue_low_balance(session, account)
    assert session.exec(select(func.count()).select_from(Notification)).one() == 2


def _usage_row(account_id: int, micros: int, i: int) -> dict:
    zero = dict.fromkeys(
        ('energy_wh_low', 'energy_wh', 'energy_wh_high', 'carbon_g_low', 'carbon_g', 'carbon_g_high'), 0.0
    )
    return {
        'account_id': account_id,
        'created_at': datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=i),
        'api_key_id': None,
        'requested_model': 'openai/gpt-4o-mini',
        'model': 'openai/gpt-4o-mini',
        'provider': 'openai',
        'region': 'us-east-1',
        'methodology_version': 'test',
        'prompt_tokens': 1,
        'completion_tokens': 1,
        'cost_micros': micros,
        'estimated': False,
        'status': 'completed',
        **zero,
    }


def test_reusing_a_key_for_another_amount_is_refused(session, account):
    top_up(session, account, '20.00', method='manual', idempotency_key='k')
    with pytest.raises(TopUpError, match='different top-up'):
        top_up(session, account, '30.00', method='manual', idempotency_key='k')
    with pytest.raises(TopUpError, match='decimals'):
        top_up(session, account, '12.345', method='manual', idempotency_key='sub-cent')
