"""/credits and /keys stay live: changes committed elsewhere (another tab, the API, another process) show in an
open page within about a second, in place: an open dialog stays open, a selection stays selected, and an edit
dialog keeps what the operator typed."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

from services import db
from services.billing.ledger import credit_balance, receipts
from services.keys.api_keys import key_status, list_keys, revoke_key, update_key
from services.models import Account
from services.money import format_money
from tests.support import factories
from tests.support.live_pages import eventually, text, visible


def _db_balance(account_id: int) -> str:
    with db.read_scope() as session:
        account = session.get(Account, account_id)
        return format_money(credit_balance(session, account), account.currency)


def _db_receipts(account_id: int) -> list[str]:
    with db.read_scope() as session:
        return [r.number for r in receipts(session, account_id)]


def _receipt_numbers(user: User) -> list[str]:
    tables = user.find(marker='receipts-table').elements
    return [row['number'] for row in next(iter(tables)).rows] if tables else []


def _key_rows(user: User) -> dict[int, dict]:
    try:
        tables = [t for t in user.find(ui.table).elements if not t.is_deleted]
    except AssertionError:  # no table on the page (no keys)
        return {}
    return {row['id']: row for row in tables[0].rows} if tables else {}


def _db_keys(account: Account) -> dict[int, tuple[str, str]]:
    with db.read_scope() as session:
        return {k.id: (k.name, key_status(k)) for k in list_keys(session, account)}


async def test_a_top_up_elsewhere_shows_on_an_open_credits_page_and_keeps_its_dialog(user: User):
    account = factories.account(currency='EUR')
    factories.top_up(account, '20.00', idempotency_key='first')
    await user.open('/credits')
    assert text(user, 'balance') == _db_balance(account.id) == '€20.00'
    user.find(marker='preset-50000000').click()
    user.find(marker='top-up').click()
    await user.should_see('Add €50.00 to your balance')  # a confirmation left open in this tab

    factories.top_up(account, '12.34', idempotency_key='elsewhere')  # another tab, the API or another process
    assert await eventually(lambda: text(user, 'balance') == '€32.34')
    assert text(user, 'balance') == _db_balance(account.id)
    assert _receipt_numbers(user) == _db_receipts(account.id) and len(_receipt_numbers(user)) == 2
    await user.should_see('€12.34 on')  # the last top-up, in the balance card
    await user.should_see('Add €50.00 to your balance')  # the dialog is still open

    user.find(marker='confirm-top-up').click()  # and still works: it credits once
    assert await eventually(lambda: text(user, 'balance') == '€82.34')
    assert text(user, 'balance') == _db_balance(account.id)
    assert _receipt_numbers(user) == _db_receipts(account.id) and len(_receipt_numbers(user)) == 3


async def test_spending_elsewhere_lowers_the_balance_on_an_open_credits_page(user: User):
    account = factories.account()
    factories.top_up(account, '5.00')
    await user.open('/credits')
    factories.generation(account, prompt_tokens=400_000, completion_tokens=200_000)
    shown = _db_balance(account.id)
    assert shown != '$5.00'
    assert await eventually(lambda: text(user, 'balance') == shown)


async def test_keys_created_and_revoked_elsewhere_show_in_an_open_list_and_the_selection_stays(user: User):
    account = factories.account()
    first = factories.api_key(account, name='alpha')
    second = factories.api_key(account, name='beta')
    await user.open('/keys')
    rows = _key_rows(user)
    picked = [rows[first.key.id]]
    user.find(ui.table).trigger('selection', {'added': True, 'rows': picked, 'keys': [first.key.id]})
    await user.should_see('1 selected')

    created = factories.api_key(account, name='gamma-from-elsewhere')
    assert await eventually(lambda: created.key.id in _key_rows(user))
    with db.session_scope() as session:
        revoke_key(session, account, second.key.id)
    assert await eventually(lambda: _key_rows(user)[second.key.id]['status'] == 'revoked')
    shown = {key_id: (row['name'], row['status']) for key_id, row in _key_rows(user).items()}
    assert shown == _db_keys(account)
    assert [row['id'] for row in _key_rows(user).values()][-1] == second.key.id  # revoked keys last
    table = next(t for t in user.find(ui.table).elements if not t.is_deleted)
    assert [row['id'] for row in table.selected] == [first.key.id]  # the operator's selection stays
    await user.should_see('1 selected')
    await user.should_see(marker=f'key-card-{created.key.id}')  # the phone cards follow too


async def test_the_first_key_made_elsewhere_replaces_the_empty_state(user: User):
    account = factories.account()
    await user.open('/keys')
    await user.should_see('No keys yet')
    made = factories.api_key(account, name='first-app')
    assert await eventually(lambda: made.key.id in _key_rows(user))
    await user.should_not_see('No keys yet')


async def test_an_open_edit_dialog_follows_a_change_elsewhere_or_keeps_the_operators_edits(user: User):
    account = factories.account()
    made = factories.api_key(account, name='web')
    await user.open('/keys')
    user.find(marker=f'edit-{made.key.id}').click()
    await user.should_see('Edit “web”')
    name = user.find(marker='key-name').elements.pop()

    with db.session_scope() as session:  # no edits here yet: the form follows in place
        update_key(session, account, made.key.id, name='web-renamed')
    assert await eventually(lambda: name.value == 'web-renamed')
    await user.should_not_see(marker='key-changed')

    user.find(marker='key-limit').type('7.50')  # an edit not saved yet
    with db.session_scope() as session:
        update_key(session, account, made.key.id, name='web-again')
    assert await eventually(lambda: visible(user, 'key-changed'))
    await user.should_see('This key was changed elsewhere')
    assert name.value == 'web-renamed'  # the operator's form is left alone
    assert user.find(marker='key-limit').elements.pop().value == '7.50'

    user.find(marker='key-changed-load').click()
    assert name.value == 'web-again' and user.find(marker='key-limit').elements.pop().value == ''
    await user.should_not_see(marker='key-changed')
    user.find(marker='submit-key').click()  # saving still works after loading
    await user.should_see('Saved the changes to “web-again”')
