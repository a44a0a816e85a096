from nicegui import ui
from nicegui.testing import User
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account, current_account
from services.models import Account, Generation
from services.usage.ingest import record_generation


async def test_an_empty_installation_goes_to_onboarding_and_creates_the_account(user: User):
    await user.open('/dashboard')
    await user.should_see('Welcome to lowrouter')
    user.find('Account name').type('Zoë Ærøskøbing Ltd')
    user.find('Create account').click()
    await user.should_see('Get started')  # the new account's dashboard: the start guide
    with db.session_scope() as session:
        account = current_account(session)
    assert account.name == 'Zoë Ærøskøbing Ltd'
    assert (account.currency, account.timezone) == ('USD', 'UTC')
    assert account.locale is None  # no Accept-Language: not chosen, read as en_US


async def test_a_new_account_starts_with_the_browsers_language_as_its_number_format(user: User):
    user.http_client.headers['Accept-Language'] = 'de-CH,de;q=0.9,en;q=0.5'
    await user.open('/welcome')
    user.find('Account name').type('Bern AG')
    user.find('Create account').click()
    await user.should_see('Get started')
    with db.session_scope() as session:
        assert current_account(session).locale == 'de_CH'
    await user.open('/settings')
    select = next(e for e in user.find('Number format').elements if isinstance(e, ui.select))
    assert select.value == 'de_CH' and "1'234.56" in select.options['de_CH']


async def test_onboarding_refuses_an_empty_name_and_writes_nothing(user: User):
    await user.open('/welcome')
    user.find('Create account').click()
    await user.should_see('Welcome to lowrouter')
    name = user.find('Account name').elements.pop()
    assert 'error' in name.props
    with db.session_scope() as session:
        assert current_account(session) is None


async def test_start_fresh_removes_every_demo_row(user: User):
    with db.session_scope() as session:
        demo = create_account(session, name='Demo', is_demo=True)
        record_generation(session, demo, {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 3, 'completion_tokens': 4})
    await user.open('/dashboard')
    await user.should_see('Demo data')
    user.find('Start fresh').click()
    await user.should_see('Remove all demo data?')
    user.find('Delete demo data').click()
    await user.should_see('Welcome to lowrouter')
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Account)).one() == 0
        assert session.exec(select(func.count()).select_from(Generation)).one() == 0


async def test_every_section_is_in_the_navigation(user: User):
    with db.session_scope() as session:
        create_account(session, name='Acme')
    await user.open('/dashboard')
    for label in ('Dashboard', 'Keys', 'Credits', 'Invoices', 'Auto-routing', 'Settings'):
        await user.should_see(label, kind=ui.label)
