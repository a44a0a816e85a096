from datetime import UTC, datetime, timedelta

from nicegui.testing import User

from services import db
from services.accounts import create_account
from services.catalog import get_catalog
from services.eco_impact import eco_impact
from services.ingest import record_generation

MODEL = 'meta-llama/llama-3.1-70b-instruct'


async def test_changing_the_baseline_in_settings_changes_the_panel(user: User):
    now = datetime.now(UTC)
    offer = get_catalog().offers_for(MODEL)[0]
    with db.session_scope() as session:
        account = create_account(session, name='Acme')
        for i in range(120):
            record_generation(
                session,
                account,
                {
                    'model': MODEL,
                    'provider': offer.provider,
                    'region': offer.region,
                    'prompt_tokens': 100,
                    'completion_tokens': 300,
                    'created_at': now - timedelta(minutes=i),
                },
            )
    await user.open('/dashboard')
    await user.should_see('You saved')
    await user.should_see('compared with GPT-4o')

    await user.open('/settings')
    user.find(marker='eco-baseline-select').elements.pop().set_value('meta-llama/llama-3.1-8b-instruct')
    user.find('Save baseline').click()
    await user.should_see('Baseline saved')

    await user.open('/dashboard')
    await user.should_see('more energy than Llama 3.1 8B Instruct would have')
    await user.should_not_see('You saved')
    with db.session_scope() as session:
        from services.accounts import current_account

        account = current_account(session)
        impact = eco_impact(session, account)
    assert account.eco_baseline_model == 'meta-llama/llama-3.1-8b-instruct'
    await user.should_see(f'{impact.energy_difference_pct:.0f} % more energy')


async def test_an_empty_window_says_so(user: User):
    with db.session_scope() as session:
        create_account(session, name='Empty')
    await user.open('/dashboard')
    await user.should_see('No usage in this window yet.')
