from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User

from services import db
from services.accounts import create_account
from services.ingest import record_generation
from services.money import format_money


async def test_recent_transactions_show_the_stored_generations(user: User):
    with db.session_scope() as session:
        account = create_account(session, name='Acme', timezone='America/New_York')
        start = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
        generations = [
            record_generation(
                session,
                account,
                {
                    'model': model,
                    'prompt_tokens': 100 * i + 1,
                    'completion_tokens': 50 * i + 1,
                    'created_at': start + timedelta(minutes=i),
                },
            )[0]
            for i, model in enumerate(['openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o'])
        ]
    await user.open('/dashboard')
    await user.should_see('Recent transactions')
    table = user.find(ui.table).elements.pop()
    newest = generations[-1]
    assert [row['id'] for row in table.rows] == [g.id for g in reversed(generations)]
    assert table.rows[0]['cost'] == format_money(newest.cost_micros, 'USD', precise=True)
    assert table.rows[0]['tokens'] == f'{newest.total_tokens:,}'
    assert table.rows[0]['time'] == '2026-11-20 10:02'  # shown in the account's time zone (UTC-5)
