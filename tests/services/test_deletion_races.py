"""A row inserted for an account while that account is being deleted must not break the deletion.

The race: the deletion empties the child tables, a background job inserts a notification for the account
(its foreign key still finds the account), and the deletion's last statement then fails on that orphan. The
account row is locked first, so the job's foreign-key check waits for the deletion and then fails instead.
Only PostgreSQL runs writers side by side; SQLite has one writer at a time, so there is no race to show.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event
from sqlmodel import Session, func, select

from services import db
from services.account.accounts import create_account, remove_demo_data
from services.account.deletion import delete_account
from services.models import Account, Notification
from tests.conftest import SERVER_URL

pytestmark = pytest.mark.skipif(not SERVER_URL.startswith('postgresql'), reason='a race between two writers')


def _insert_notification(account_id: int, outcome: dict) -> None:
    try:
        with db.session_scope() as other:
            other.add(Notification(account_id=account_id, kind='low_balance', title='Low', dedupe_key='race'))
        outcome['stored'] = True
    except Exception as error:  # noqa: BLE001 - the test reports what happened to the concurrent writer
        outcome['error'] = type(error).__name__


def _delete_racing_an_insert(engine, account_id: int, deletion) -> dict:
    """Run `deletion` in one session; just before it deletes the account row, another session inserts."""
    outcome: dict = {}
    writer = threading.Thread(target=_insert_notification, args=(account_id, outcome))

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith('DELETE FROM ACCOUNT ') and not writer.is_alive():
            writer.start()
            writer.join(timeout=1.0)  # with the lock, the insert waits on us: give it time to slip in if it can

    event.listen(engine, 'before_cursor_execute', before)
    try:
        with Session(engine) as session:
            deletion(session)
            session.commit()
    finally:
        event.remove(engine, 'before_cursor_execute', before)
        writer.join(timeout=10)
    return outcome


def test_deleting_an_account_waits_out_a_concurrent_insert(engine):
    with db.session_scope() as session:
        account_id = create_account(session, name='Leaving').id
    outcome = _delete_racing_an_insert(engine, account_id, lambda s: delete_account(s, account_id, 'Leaving'))
    assert 'stored' not in outcome  # the insert lost the race cleanly: its account is gone
    with db.read_scope() as session:
        assert session.exec(select(func.count()).select_from(Account)).one() == 0
        assert session.exec(select(func.count()).select_from(Notification)).one() == 0


def test_removing_demo_data_waits_out_a_concurrent_insert(engine):
    with db.session_scope() as session:
        demo_id = create_account(session, name='Demo', is_demo=True).id
    outcome = _delete_racing_an_insert(engine, demo_id, remove_demo_data)
    assert 'stored' not in outcome
    with db.read_scope() as session:
        assert session.exec(select(func.count()).select_from(Account)).one() == 0
        assert session.exec(select(func.count()).select_from(Notification)).one() == 0
