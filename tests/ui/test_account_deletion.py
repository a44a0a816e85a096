import io
import zipfile

from nicegui.testing import User
from sqlmodel import func, select

from services import db
from services.models import ACCOUNT_TABLES, Account, Generation
from tests.support import factories


def _seed() -> int:
    with db.session_scope() as session:
        account = factories.account(session=session, name='Acme Robotics')
        key = factories.api_key(account, session=session, name='app').key
        for i in range(3):
            factories.generation(account, session=session, prompt_tokens=100 + i, api_key_id=key.id)
        factories.top_up(account, '10.00', session=session, idempotency_key='ui-1')
        factories.notification(account, session=session, dedupe_key='ui-receipt')
        return account.id


def _rows(account_id: int) -> int:
    with db.session_scope() as session:
        total = session.exec(select(func.count()).select_from(Account).where(Account.id == account_id)).one()
        for table in ACCOUNT_TABLES:
            total += session.exec(select(func.count()).select_from(table).where(table.account_id == account_id)).one()
        return total


async def test_the_section_explains_what_is_deleted(user: User):
    _seed()
    await user.open('/settings')
    assert user.find(marker='account-name').elements.pop().text == 'Acme Robotics'
    await user.should_see('This cannot be undone. Download the full export first if you may need any of it.')
    for text in (
        'every generation and its hourly usage rollups',
        'every API key (apps using them stop working at once)',
    ):
        await user.should_see(text)


async def test_the_export_download_is_a_zip_of_the_account(user: User):
    _seed()
    await user.open('/settings')
    user.find('Download full export (ZIP)').click()
    response = await user.download.next(timeout=10)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    names = archive.namelist()
    assert names[:3] == ['README.txt', 'settings.json', 'generations.csv']
    assert archive.read('generations.csv').decode().count('\n') == 1 + 3
    assert any(n.startswith('receipts/R-') for n in names) and any(n.startswith('invoices/DRAFT-') for n in names)


async def test_a_wrong_name_shows_a_field_error_and_deletes_nothing(user: User):
    account_id = _seed()
    before = _rows(account_id)
    await user.open('/settings')
    user.find('Type the account name to confirm').type('Acme')
    user.find(marker='delete-account').click()
    field = user.find(marker='confirm-name').elements.pop()
    assert field.error == 'That is not the account name.'
    assert field.props['error'] is True
    await user.should_not_see('for good?')
    assert _rows(account_id) == before


async def test_cancelling_the_final_confirmation_deletes_nothing(user: User):
    account_id = _seed()
    before = _rows(account_id)
    await user.open('/settings')
    user.find('Type the account name to confirm').type('Acme Robotics')
    user.find(marker='delete-account').click()
    await user.should_see('Delete “Acme Robotics” for good?')
    user.find('Keep the account').click()
    await user.should_not_see('for good?')
    assert _rows(account_id) == before


async def test_the_right_name_and_confirmation_delete_everything_then_onboarding(user: User):
    account_id = _seed()
    await user.open('/settings')
    user.find('Type the account name to confirm').type('  Acme Robotics ')
    user.find(marker='delete-account').click()
    await user.should_see('Delete “Acme Robotics” for good?')
    user.find(marker='confirm-delete').click()
    await user.should_see('Welcome to lowrouter')
    assert _rows(account_id) == 0
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Account)).one() == 0
        assert session.exec(select(func.count()).select_from(Generation)).one() == 0
