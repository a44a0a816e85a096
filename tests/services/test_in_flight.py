"""Streams in progress (services/routing/in_flight.py): what the transaction page of a not-yet-stored id says,
and the router's stored generations announced to open pages (services/live)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services import db
from services.live import bus
from services.routing import in_flight
from services.routing.inference import store
from services.usage.generation_ids import new_generation_id, recorded_at
from services.usage.ingest import record_generation
from tests.conftest import SERVER_URL
from tests.support import factories


def _progress(account_id: int, generation_id: str, now: datetime | None = None):
    with db.read_scope() as session:
        return in_flight.in_progress(session, account_id, generation_id, now=now)


@pytest.mark.skipif(not SERVER_URL.startswith('postgresql'), reason='several processes share PostgreSQL only')
def test_on_postgresql_a_recent_unknown_id_is_presumed_in_progress_and_an_old_one_is_not(account):
    now = datetime.now(UTC)
    recent = new_generation_id(now=now - timedelta(minutes=3))  # maybe streaming in another process
    found = _progress(account.id, recent, now)
    assert found == in_flight.InProgress(recent, recorded_at(recent), here=False)
    assert abs(found.started_at - (now - timedelta(minutes=3))) < timedelta(milliseconds=1)
    old = new_generation_id(now=now - in_flight.WINDOW - timedelta(seconds=1))
    assert _progress(account.id, old, now) is None
    future = new_generation_id(now=now + timedelta(hours=1))  # no stream starts in the future
    assert _progress(account.id, future, now) is None
    assert _progress(account.id, 'gen-not-one-of-ours', now) is None


@pytest.mark.skipif(SERVER_URL.startswith('postgresql'), reason='SQLite is served by one process')
def test_on_sqlite_only_this_process_streams_are_in_progress(account):
    assert _progress(account.id, new_generation_id()) is None  # one process: it would be registered


def test_a_stream_of_this_process_is_in_progress_for_its_account_until_stored(account, monkeypatch):
    other = factories.account(name='Other')
    started = datetime.now(UTC) - timedelta(hours=2)  # long streams too: the registry is certain
    generation_id = new_generation_id(now=started)
    in_flight.begin(generation_id, account.id)
    try:
        assert in_flight.streaming() >= 1
        expected = in_flight.InProgress(generation_id, recorded_at(generation_id), here=True)
        assert _progress(account.id, generation_id) == expected
        assert _progress(other.id, generation_id) is None
    finally:
        in_flight.end(generation_id)
    assert _progress(account.id, generation_id) == expected  # journalled, the record is stored a moment later
    monkeypatch.setattr(in_flight, 'GRACE_S', 0.0)
    assert _progress(account.id, generation_id) is None  # never stored: not in progress for ever


def test_an_ended_stream_whose_record_is_stored_is_no_longer_in_progress(account):
    generation_id = new_generation_id()
    in_flight.begin(generation_id, account.id)
    in_flight.end(generation_id)
    with db.session_scope() as session:
        payload = {'model': factories.DEFAULT_MODEL, 'prompt_tokens': 10, 'completion_tokens': 5}
        record_generation(session, account, payload, generation_id=generation_id)
    assert _progress(account.id, generation_id) is None


def test_a_stored_generation_is_never_in_progress_whatever_its_account(account):
    other = factories.account(name='Other')
    stored = factories.generation(other)
    assert _progress(other.id, stored.id) is None
    assert _progress(account.id, stored.id) is None  # another account's id stays "not found"


def test_the_routers_stored_generations_are_announced_after_commit(account):
    """The router stores through inference.store (not ingestion): open pages must hear of it too."""
    offer = factories.offer_of(factories.DEFAULT_MODEL)
    entry = {
        'id': new_generation_id(),
        'account_id': account.id,
        'currency': account.currency,
        'api_key_id': None,
        'created_at': datetime.now(UTC).isoformat(),
        'requested_model': offer.model,
        'model': offer.model,
        'provider': offer.provider,
        'region': offer.region,
        'prompt_tokens': 120,
        'completion_tokens': 30,
        'latency_ms': 900,
        'ttft_ms': 150,
        'status': 'completed',
        'trace': {},
        'reserved_micros': 0,
    }
    heard: list[dict] = []
    stop = bus.subscribe(lambda changes: heard.append(dict(changes)))
    try:
        with db.session_scope() as session:
            store(session, [entry])
            assert heard == []  # not before the commit
    finally:
        stop()
    assert heard == [{account.id: frozenset({'usage', 'balance'})}]
    assert _progress(account.id, entry['id']) is None  # stored: no longer in progress
