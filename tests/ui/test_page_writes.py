"""A write from a page that the database cannot store is reported in the page, never as a success."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import event, text
from sqlmodel import func, select

from components.saving import NOT_SAVED
from services import db
from services.account.accounts import create_account
from services.models import Account, ApiKey, Invoice, LedgerEntry, Notification, Receipt
from services.routing.policies import account_settings, key_override
from tests.support import factories


@contextmanager
def read_only_database() -> Iterator[None]:
    """Every new connection of the app refuses writes (SQLite `query_only`, PostgreSQL read-only
    transactions), as a database on a full or read-only disk does; reads go on."""
    engine = db.get_engine()
    if engine.dialect.name == 'sqlite':

        def refuse_writes(connection, _record) -> None:
            connection.execute('PRAGMA query_only = ON')

        event.listen(engine, 'connect', refuse_writes)
        engine.dispose()
        try:
            yield
        finally:
            event.remove(engine, 'connect', refuse_writes)
            engine.dispose()
        return
    with engine.connect() as connection:
        name = connection.execute(text('SELECT current_database()')).scalar_one()
        connection.execute(text(f'ALTER DATABASE {name} SET default_transaction_read_only = on'))
        connection.commit()
    engine.dispose()
    try:
        yield
    finally:
        with engine.connect() as connection:
            connection.execute(text('SET TRANSACTION READ WRITE'))
            connection.execute(text(f'ALTER DATABASE {name} RESET default_transaction_read_only'))
            connection.commit()
        engine.dispose()


def _count(model, *where) -> int:
    with db.read_scope() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


async def test_a_top_up_the_database_cannot_store_says_so_and_credits_nothing(user: User):
    with db.session_scope() as session:
        create_account(session, name='Acme', currency='EUR')
    await user.open('/credits')
    user.find(marker='preset-50000000').click()
    user.find(marker='top-up').click()
    await user.should_see('Add €50.00 to your balance')
    with read_only_database():
        user.find(marker='confirm-top-up').click()
        await user.should_see(NOT_SAVED)
    await user.should_not_see('Added €50.00 to your balance')
    assert (_count(LedgerEntry), _count(Receipt), _count(Notification)) == (0, 0, 0)
    user.find(marker='confirm-top-up').click()  # the dialog stayed open: the same top-up, once the disk has room
    await user.should_see('Added €50.00 to your balance')
    assert (_count(LedgerEntry), _count(Receipt)) == (1, 1)


# Every other write a page makes, each done once while the database refuses writes and once after.


@dataclass
class Done:
    """How the page shows that a write was stored: a text that appears, or a marked element that goes."""

    text: str | None = None
    gone: str | None = None

    async def shown(self, user: User) -> None:
        await (user.should_see(self.text) if self.text else user.should_not_see(marker=self.gone))

    async def not_shown(self, user: User) -> None:
        await (user.should_not_see(self.text) if self.text else user.should_see(marker=self.gone))


def _stored(model, row_id: int, *fields: str) -> tuple:
    with db.read_scope() as session:
        row = session.get(model, row_id)
        return tuple(getattr(row, f) for f in fields)


def _one(user: User, marker: str):
    return user.find(marker=marker).elements.pop()


async def create_a_key(user: User):
    factories.account()
    await user.open('/keys')
    user.find(marker='create-key').click()
    user.find(marker='key-name').type('ci-bot')
    return lambda: _count(ApiKey)


async def edit_a_key(user: User):
    key_id = factories.api_key(factories.account(), name='ci-bot').key.id
    await user.open('/keys')
    user.find(marker=f'edit-{key_id}').click()
    _one(user, 'key-name').value = 'renamed'
    return lambda: _stored(ApiKey, key_id, 'name')


async def rotate_a_key(user: User):
    key_id = factories.api_key(factories.account(), name='ci-bot').key.id
    await user.open('/keys')
    user.find(marker=f'rotate-{key_id}').click()
    return lambda: _stored(ApiKey, key_id, 'secret_hash')


async def revoke_a_key(user: User):
    key_id = factories.api_key(factories.account(), name='ci-bot').key.id
    await user.open('/keys')
    user.find(ui.table).trigger('key_action', {'action': 'revoke', 'id': key_id})
    return lambda: _stored(ApiKey, key_id, 'revoked_at')


async def add_a_scope_to_two_keys(user: User):
    account = factories.account()
    ids = [factories.api_key(account, name=name).key.id for name in ('alpha', 'beta')]
    await user.open('/keys')
    rows = user.find(ui.table).elements.pop().rows
    user.find(ui.table).trigger('selection', {'added': True, 'rows': rows, 'keys': ids})
    user.find(marker='bulk-add_scope').click()
    _one(user, 'bulk-scope').value = 'manage'
    return lambda: [_stored(ApiKey, i, 'scopes') for i in ids]


async def save_routing_defaults(user: User):
    account = factories.account()
    await user.open('/routing')
    _one(user, 'strategy').value = 'lowest_carbon'
    return lambda: _settings(account_settings, account)


async def save_a_key_override(user: User):
    account = factories.account()
    key_id = factories.api_key(account, name='ci-bot').key.id
    await user.open('/routing')
    user.find(marker=f'edit-override-{key_id}').click()
    user.find(marker='inherit-strategy').click()
    _one(user, 'strategy').value = 'lowest_carbon'
    return lambda: _settings(key_override, account, key_id)


async def clear_a_key_override(user: User):
    account = factories.account()
    key_id = factories.api_key(account, name='ci-bot').key.id
    factories.routing_policy(account, {'strategy': 'lowest_carbon'}, key_id=key_id)
    await user.open('/routing')
    user.find(marker=f'clear-override-{key_id}').click()
    return lambda: _settings(key_override, account, key_id)


async def save_retention(user: User):
    account = factories.account()
    await user.open('/settings')
    _one(user, 'retention-mode').set_value('days')
    _one(user, 'retention-days').set_value(30)
    return lambda: _stored(Account, account.id, 'retention_days')


async def save_the_profile(user: User):
    account = factories.account()
    await user.open('/settings')
    user.find('Account name').elements.pop().value = 'Acme Robotics'
    return lambda: _stored(Account, account.id, 'name')


async def save_notification_settings(user: User):
    account = factories.account()
    await user.open('/settings')
    user.find(marker='pref-weekly_summary').click()
    return lambda: _stored(Account, account.id, 'notification_prefs')


async def save_the_eco_baseline(user: User):
    account = factories.account()
    await user.open('/settings')
    _one(user, 'eco-baseline-select').set_value('meta-llama/llama-3.1-8b-instruct')
    return lambda: _stored(Account, account.id, 'eco_baseline_model')


async def mark_all_notifications_read(user: User):
    account = factories.account()
    factories.notification(account, title='Receipt R-1', link='/keys')
    await user.open('/keys')  # the shell's bell (the dashboard could queue a low-balance alert meanwhile)
    user.find(marker='bell').click()
    return lambda: _count(Notification, Notification.account_id == account.id, Notification.read_at.is_(None))


async def open_a_notification(user: User):
    factories.notification(factories.account(), title='Receipt R-1', link=None)
    await user.open('/keys')  # the shell's bell (the dashboard could queue a low-balance alert meanwhile)
    user.find(marker='bell').click()
    return lambda: _count(Notification, Notification.read_at.is_(None))


async def create_the_account(user: User):
    await user.open('/welcome')
    user.find('Account name').type('Acme')
    return lambda: _count(Account)


async def start_fresh(user: User):
    factories.account(is_demo=True)
    await user.open('/dashboard')
    user.find('Start fresh').click()
    return lambda: _count(Account)


async def delete_the_account(user: User):
    factories.account()
    await user.open('/settings')
    user.find('Type the account name to confirm').type('Acme')
    user.find(marker='delete-account').click()
    return lambda: _count(Account)


WRITES = {  # what leads to the write, the button that makes it, and how the page shows it was stored
    'create a key': (create_a_key, 'submit-key', Done('it will not be shown again')),
    'edit a key': (edit_a_key, 'submit-key', Done('Saved the changes to “renamed”')),
    'rotate a key': (rotate_a_key, 'confirm-rotate', Done('New secret for “ci-bot”')),
    'revoke a key': (revoke_a_key, 'confirm-revoke', Done('Revoked “ci-bot”')),
    'bulk edit keys': (add_a_scope_to_two_keys, 'confirm-bulk', Done('Updated 2 keys')),
    'routing defaults': (save_routing_defaults, 'save', Done('Saved: new requests follow these defaults')),
    'key override': (save_a_key_override, 'save-override', Done('Saved the override for “ci-bot”')),
    'clear an override': (clear_a_key_override, 'confirm-clear', Done('“ci-bot” now follows the defaults')),
    'retention': (save_retention, 'save-retention', Done('Data retention saved: 30 days')),
    'profile': (save_the_profile, 'save-profile', Done('Profile saved')),
    'notifications': (save_notification_settings, 'save-notifications', Done('Notification settings saved')),
    'eco baseline': (save_the_eco_baseline, 'save-baseline', Done('Baseline saved')),
    'mark all read': (mark_all_notifications_read, 'bell-mark-all-read', Done(gone='bell-count')),
    'open a notification': (open_a_notification, 'bell-item-1', Done(gone='bell-count')),
    'onboarding': (create_the_account, 'create-account', Done('Get started')),  # a new account's start guide
    'start fresh': (start_fresh, 'confirm-start-fresh', Done('Welcome to lowrouter')),
    'delete the account': (delete_the_account, 'confirm-delete', Done('Welcome to lowrouter')),
}


@pytest.mark.parametrize('name', WRITES)
async def test_a_page_write_the_database_cannot_store_says_so_changes_nothing_and_can_be_retried(user: User, name):
    prepare, button, done = WRITES[name]
    stored = await prepare(user)
    before = stored()
    with read_only_database():
        user.find(marker=button).click()
        await user.should_see(NOT_SAVED)
        await done.not_shown(user)
        assert stored() == before
    user.find(marker=button).click()  # the same form or dialog, still there: once the disk has room
    await done.shown(user)
    assert stored() != before


async def test_the_invoices_page_and_the_draft_pdf_write_nothing(user: User):
    account = factories.account(currency='EUR')
    factories.top_up(account, '40.00', method='bank_transfer', idempotency_key='t')
    with read_only_database():  # opening the page and downloading the draft need no write
        await user.open('/invoices')
        draft = user.find(marker='invoices-table').elements.pop().rows[0]
        assert (draft['status'], draft['closing']) == ('Draft', '€40.00')
        user.find(marker=f'pdf-invoice-{draft["number"]}').click()
        assert (await user.download.next(timeout=10)).content.startswith(b'%PDF')
    assert _count(Invoice) == 0


def _settings(read, account: Account, *args) -> dict:
    with db.read_scope() as session:
        return read(session, account, *args)
