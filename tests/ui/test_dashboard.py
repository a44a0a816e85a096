from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from services import db
from services.account.accounts import create_account
from services.billing.ledger import credit_balance
from services.models import Generation
from services.money import format_money
from services.usage.ingest import record_generation
from services.usage.totals import spent_this_month
from tests.support import factories

MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o']


def _seed(timezone: str = 'UTC') -> list[Generation]:
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = factories.account(session=session, timezone=timezone)
        factories.ledger_entry(account, 50_000_000, session=session, idempotency_key='t1')
        return [
            factories.generation(
                account,
                session=session,
                model=MODELS[i % 3],
                prompt_tokens=1000 * (i + 1),
                completion_tokens=400 * (i + 1),
                created_at=now - timedelta(seconds=10 * (9 - i)),
            )
            for i in range(9)
        ]


async def test_the_four_widgets_and_the_balance_from_the_service(user: User):
    _seed()
    await user.open('/dashboard')
    for title in ('Credit balance', 'Usage today', 'Top models (last 30 days)', 'Eco impact'):
        await user.should_see(title)
    with db.session_scope() as session:
        from services.account.accounts import current_account

        account = current_account(session)
        balance = credit_balance(session, account)
        spent = spent_this_month(session, account)
    assert user.find(marker='balance').elements.pop().text == format_money(balance, 'USD')
    assert balance == 50_000_000 - spent
    assert format_money(spent, 'USD') in user.find(marker='spent-month').elements.pop().text


async def test_clicking_a_model_in_usage_today_filters_the_page_and_the_url(user: User):
    generations = _seed()
    await user.open('/dashboard')
    user.find(marker='usage-mistral/mistral-small').click()
    await user.should_see('Showing only')
    assert user.back_history[-1] == '/dashboard?model=mistral%2Fmistral-small'
    table = user.find(ui.table).elements.pop()
    expected = [g.id for g in reversed(generations) if g.model == 'mistral/mistral-small']
    assert [row['id'] for row in table.rows] == expected
    user.find('Clear filter').click()
    await user.should_not_see('Showing only')
    assert len(user.find(ui.table).elements.pop().rows) == 9


async def test_a_row_click_opens_the_detail_page_with_the_stored_record(user: User):
    generations = _seed()
    await user.open('/dashboard')
    table = user.find(ui.table).elements.pop()
    row = table.rows[2]
    user.find(ui.table).trigger('rowClick', [{}, row, 2])
    await user.should_see('Routing trace')
    with db.session_scope() as session:
        stored = session.exec(select(Generation).where(Generation.id == row['id'])).one()
    assert stored.id == generations[-3].id
    await user.should_see(stored.id)
    await user.should_see(f'{stored.total_tokens:,}')
    await user.should_see(f'{stored.prompt_tokens:,}')
    await user.should_see(format_money(stored.cost_micros, 'USD', precise=True))
    await user.should_see('Prompt and response content are not stored')


async def test_an_unknown_generation_gets_a_friendly_page(user: User):
    _seed()
    await user.open('/transactions/gen-does-not-exist')
    await user.should_see('No such generation')
    user.find('Back to the dashboard').click()
    await user.should_see('Recent transactions')


async def test_recent_transactions_show_times_in_the_account_time_zone(user: User):
    with db.session_scope() as session:
        account = create_account(session, name='Acme', timezone='America/New_York')
        generation, _ = record_generation(
            session,
            account,
            {
                'model': 'openai/gpt-4o',
                'prompt_tokens': 5,
                'completion_tokens': 7,
                'created_at': datetime(2026, 11, 20, 15, 2, tzinfo=UTC),
            },
        )
    await user.open('/dashboard')
    row = user.find(ui.table).elements.pop().rows[0]
    assert row['time'] == '2026-11-20 10:02'  # UTC-5
    assert row['cost'] == format_money(generation.cost_micros, 'USD', precise=True)
    assert row['tokens'] == '12'


async def test_the_key_filter_from_the_keys_page(user: User):
    from services.keys.api_keys import create_key

    with db.session_scope() as session:
        account = create_account(session, name='Acme')
        keys = [create_key(session, account, name=name, scopes=['ingest']).key for name in ('web', 'batch')]
        for i in range(6):
            record_generation(
                session,
                account,
                {'model': MODELS[0], 'prompt_tokens': 10, 'completion_tokens': 10 + i},
                api_key_id=keys[i % 2].id,
            )
    await user.open(f'/dashboard?key={keys[1].id}')
    await user.should_see('key batch')
    rows = user.find(ui.table).elements.pop().rows
    with db.session_scope() as session:
        expected = {g.id for g in session.exec(select(Generation).where(Generation.api_key_id == keys[1].id))}
    assert {row['id'] for row in rows} == expected and len(rows) == 3


async def test_costs_read_by_one_rule_and_equal_the_database(user: User):
    """Recent transactions: every cost with the same decimals (the column's), each the stored amount rounded
    half up; Usage today: each model's total in cents, '< $0.01' for one too small for a cent."""
    from services.money import column_decimals, format_amount, format_total

    with db.session_scope() as session:
        account = create_account(session, name='Acme', timezone='UTC')
        for model, prompt, completion in (('openai/gpt-4o', 900, 900), ('openai/gpt-4o-mini', 3, 2)):
            record_generation(
                session, account, {'model': model, 'prompt_tokens': prompt, 'completion_tokens': completion}
            )
    await user.open('/dashboard')
    rows = user.find(ui.table).elements.pop().rows
    with db.session_scope() as session:
        stored = {g.id: g for g in session.exec(select(Generation))}
    decimals = column_decimals((g.cost_micros for g in stored.values()), 'USD')
    assert decimals == 6  # gpt-4o-mini's 3 + 2 tokens cost $0.0000016: two significant digits need six
    assert {row['cost'] for row in rows} == {format_amount(g.cost_micros, 'USD', 6) for g in stored.values()}
    assert {len(row['cost'].split('.')[1]) for row in rows} == {6}
    by_model = {g.model: g.cost_micros for g in stored.values()}
    assert by_model['openai/gpt-4o'] >= 10_000 and 0 < by_model['openai/gpt-4o-mini'] < 5_000
    costs = [label.text for label in user.find(ui.label).elements if label.text.startswith(('$', '< $'))]
    assert format_total(by_model['openai/gpt-4o'], 'USD') in costs  # e.g. '$0.01' (cents)
    assert '< $0.01' in costs  # gpt-4o-mini's day: more than nothing, less than a cent
