"""PostgreSQL: committed changes cross processes through NOTIFY/LISTEN (services/live/pg_channel.py).

Two channels stand for two processes (each has its own origin, its own connections); what one process
commits reaches the other's bus, its own messages are not published twice, and a listener whose connection
is cut reconnects and tells every page to check again."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from services import db
from services.live import bus, changes
from services.live.pg_channel import Channel
from tests.conftest import SERVER_URL
from tests.support import factories

pytestmark = pytest.mark.skipif(not SERVER_URL.startswith('postgresql'), reason='NOTIFY/LISTEN is PostgreSQL')


@pytest.fixture
def heard(engine):
    got: list[dict] = []
    arrived = threading.Condition()

    def listen(change_set):
        with arrived:
            got.append(dict(change_set))
            arrived.notify_all()

    def wait_for(predicate, timeout: float = 10.0) -> bool:
        with arrived:
            return arrived.wait_for(lambda: predicate(got), timeout)

    stop = bus.subscribe(listen)
    yield got, wait_for
    stop()


def _record_for_a_new_account(got: list) -> dict:
    """Commit one generation of a new account (forgetting what was heard before); the change set it makes."""
    account = factories.account()
    got.clear()
    with db.session_scope() as session:
        factories.generation(account, session=session)
    return {account.id: frozenset({'usage', 'balance'})}


def test_a_commit_in_one_process_reaches_the_other(database_url, heard):
    got, wait_for = heard
    here = Channel(database_url)  # this process: forwards its commits
    there = Channel(database_url)  # another process: only listens (its bus is this test's bus too)
    here._threads[0].start()  # the sender alone
    there._threads[1].start()  # the listener alone
    changes.forward(here.send)
    try:
        assert there.listening.wait(10)
        expected = _record_for_a_new_account(got)
        # once from the local commit, once more through the database: what the other process publishes
        assert wait_for(lambda seen: seen.count(expected) == 2), got
    finally:
        changes.stop_forwarding(here.send)
        here.stop()
        there.stop()


def test_a_process_does_not_publish_its_own_messages_twice(database_url, heard):
    got, wait_for = heard
    channel = Channel(database_url).start()
    try:
        assert channel.listening.wait(10)
        expected = _record_for_a_new_account(got)
        deadline = time.monotonic() + 5
        while channel.sent == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # time for its own message to come back, and be skipped
        assert channel.sent >= 1
        assert got == [expected]
    finally:
        channel.stop()


def test_many_commits_are_merged_while_a_notify_is_under_way(database_url):
    channel = Channel(database_url)
    channel.send({1: frozenset({'usage'})})
    channel.send({1: frozenset({'balance'})})
    channel.send({2: frozenset({'keys'})})
    assert channel._pending == {1: {'usage', 'balance'}, 2: {'keys'}}  # one NOTIFY carries all three


def test_a_broken_listener_reconnects_and_asks_every_page_to_check_again(database_url, heard):
    got, wait_for = heard
    channel = Channel(database_url).start()
    try:
        assert channel.listening.wait(10)
        with db.get_engine().connect() as connection:
            connection.execute(
                text(
                    'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                    "WHERE query LIKE 'LISTEN lowrouter_live%' AND datname = current_database() "
                    'AND pid <> pg_backend_pid()'
                )
            )
            connection.commit()
        assert wait_for(lambda seen: {None: changes.TOPICS} in seen, timeout=15), got
        assert channel.listening.wait(10)
    finally:
        channel.stop()
