"""Live updates are announced after commit, never before and never for a rolled-back write (services/live)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from services import db
from services.billing.ledger import top_up
from services.keys.api_keys import revoke_key
from services.live import bus
from services.live.changes import note
from services.models import Generation
from services.routing.policies import set_account_settings
from tests.support import factories


@pytest.fixture
def heard(engine):
    """Every change set published in this process while the test runs, with what a fresh session saw then."""
    got: list[tuple[dict, int]] = []

    def listen(changes):
        with db.read_scope() as other:  # a reader outside the writer's transaction
            got.append((dict(changes), len(other.exec(select(Generation.id)).all())))

    stop = bus.subscribe(listen)
    yield got
    stop()


def test_a_recorded_generation_is_announced_once_committed_and_visible(heard):
    account = factories.account()
    heard.clear()
    with db.session_scope() as session:
        factories.generation(account, session=session)
        assert heard == []  # not before the commit
    assert heard == [({account.id: frozenset({'usage', 'balance'})}, 1)]  # and a reader then finds the row


def test_a_rolled_back_write_is_never_announced(heard):
    account = factories.account()
    heard.clear()
    with pytest.raises(RuntimeError), db.session_scope() as session:
        factories.generation(account, session=session)
        raise RuntimeError('the request failed after the insert')
    assert heard == []
    with db.session_scope() as session:  # the next transaction of a pooled session starts clean
        session.exec(select(Generation.id)).all()
    assert heard == []


def test_a_savepoint_rolled_back_keeps_the_notes_of_its_transaction(heard):
    account = factories.account()
    heard.clear()
    with db.session_scope() as session:
        factories.generation(account, session=session)
        with pytest.raises(ValueError), session.begin_nested():
            raise ValueError('one item of a batch refused')
    assert [changes for changes, _ in heard] == [{account.id: frozenset({'usage', 'balance'})}]


def test_keys_routing_and_top_ups_are_noted_by_their_rows(heard):
    account = factories.account()
    key = factories.api_key(account).key
    heard.clear()
    with db.session_scope() as session:
        revoke_key(session, session.merge(account), key.id)
    with db.session_scope() as session:
        set_account_settings(session, session.merge(account), {'strategy': 'lowest_carbon'})
    with db.session_scope() as session:
        top_up(session, session.merge(account), '10', method='manual', idempotency_key='live-1')
    assert [changes for changes, _ in heard] == [
        {account.id: frozenset({'keys'})},
        {account.id: frozenset({'routing'})},
        {account.id: frozenset({'balance'})},
    ]


def test_each_account_is_told_only_of_its_own_changes(heard):
    first, second = factories.account(name='One'), factories.account(name='Two')
    heard.clear()
    with db.session_scope() as session:
        factories.generation(first, session=session)
        factories.generation(second, session=session)
        factories.generation(second, session=session)
    assert [changes for changes, _ in heard] == [
        {first.id: frozenset({'usage', 'balance'}), second.id: frozenset({'usage', 'balance'})}
    ]


def test_a_failing_subscriber_neither_fails_the_write_nor_silences_the_others(heard):
    account = factories.account()

    def broken(_changes):
        raise RuntimeError('a page went away')

    stop = bus.subscribe(broken)
    try:
        heard.clear()
        with db.session_scope() as session:
            factories.generation(account, session=session)
    finally:
        stop()
    assert len(heard) == 1
    with db.read_scope() as session:
        assert len(session.exec(select(Generation.id)).all()) == 1


def test_an_unknown_topic_is_a_programming_error(engine):
    with Session(engine) as session, pytest.raises(ValueError, match='unknown live topics'):
        note(session, 1, 'usage', 'weather')
