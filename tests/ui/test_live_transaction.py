"""/transactions/<id> of a stream in progress: its id is known before its record is stored. The page says the
generation is in progress and turns into the full record by itself once it is stored; an old unknown id still
says "not found"."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from nicegui.testing import User

from components import generation_live
from services import db
from services.models import Generation
from services.money import format_money
from services.routing import in_flight
from services.usage.generation_ids import new_generation_id
from services.usage.ingest import record_generation
from tests.conftest import SERVER_URL
from tests.support import factories
from tests.support.live_pages import eventually, visible


def _store(account, generation_id: str, **fields) -> Generation:
    data = {'model': factories.DEFAULT_MODEL, 'prompt_tokens': 1200, 'completion_tokens': 345} | fields
    with db.session_scope() as session:
        return record_generation(session, account, data, generation_id=generation_id)[0]


async def test_a_stream_in_progress_says_so_then_becomes_the_record(user: User):
    account = factories.account(timezone='Europe/Paris')
    generation_id = new_generation_id()
    in_flight.begin(generation_id, account.id)  # the router relays it: its id went out in a response header
    try:
        await user.open(f'/transactions/{generation_id}')
        await user.should_see('Generation in progress')
        await user.should_see(generation_id)
        await user.should_see(marker='live-mark')
        await user.should_not_see('No such generation')
        await asyncio.sleep(1.2)  # a refresh meanwhile (nothing stored yet) changes nothing
        await user.should_see('Generation in progress')
    finally:
        in_flight.end(generation_id)
    await user.should_see('Generation in progress')  # ended: its record is on its way to the database

    stored = _store(account, generation_id)
    assert await eventually(lambda: visible(user, 'completion-tokens'))
    await user.should_not_see('Generation in progress')
    await user.should_see('Tokens and cost')
    with db.read_scope() as session:
        row = session.get(Generation, generation_id)
    assert row is not None and row.cost_micros == stored.cost_micros
    await user.should_see(format_money(row.cost_micros, row.currency, precise=True))
    assert user.find(marker='completion-tokens').elements.pop().text == f'{row.completion_tokens:,}'


@pytest.mark.skipif(not SERVER_URL.startswith('postgresql'), reason='several processes share PostgreSQL only')
async def test_a_recent_id_may_be_streaming_in_another_process_then_becomes_the_record(user: User):
    account = factories.account()
    generation_id = new_generation_id()  # not known here: presumed from its time
    await user.open(f'/transactions/{generation_id}')
    await user.should_see('Generation in progress')
    _store(account, generation_id)  # the other process stored it
    assert await eventually(lambda: visible(user, 'completion-tokens'))
    await user.should_not_see('Generation in progress')


async def test_a_cancelled_stream_shows_its_cancelled_record(user: User):
    account = factories.account()
    generation_id = new_generation_id()
    in_flight.begin(generation_id, account.id)  # relayed by this process
    try:
        await user.open(f'/transactions/{generation_id}')
        await user.should_see('Generation in progress')
        _store(account, generation_id, status='cancelled', latency_ms=2100)
    finally:
        in_flight.end(generation_id)
    assert await eventually(lambda: visible(user, 'status-note'))
    await user.should_see('Cancelled: the client disconnected after 2,100 ms')


async def test_an_old_unknown_id_is_still_not_found(user: User):
    factories.account()
    old = new_generation_id(now=datetime.now(UTC) - timedelta(hours=2))
    await user.open(f'/transactions/{old}')
    await user.should_see('No such generation')
    await user.should_see(old)
    await user.should_not_see('Generation in progress')
    await user.should_not_see(marker='live-mark')  # nothing to wait for: the page is not live


async def test_a_stream_of_another_account_is_not_shown(user: User):
    factories.account()
    other = factories.account(name='Other')
    generation_id = new_generation_id()
    in_flight.begin(generation_id, other.id)
    try:
        await user.open(f'/transactions/{generation_id}')
        await user.should_see('No such generation')
    finally:
        in_flight.end(generation_id)


async def test_a_stream_that_ends_without_a_record_turns_into_not_found(user: User, monkeypatch):
    account = factories.account()
    monkeypatch.setattr(generation_live, 'CHECK_S', 0.2)
    monkeypatch.setattr(in_flight, 'GRACE_S', 0.0)  # its record would have been stored by now
    generation_id = new_generation_id(now=datetime.now(UTC) - timedelta(hours=1))  # a long stream of this process
    in_flight.begin(generation_id, account.id)
    try:
        await user.open(f'/transactions/{generation_id}')
        await user.should_see('Generation in progress')
    finally:
        in_flight.end(generation_id)  # ended, and nothing was recorded
    assert await eventually(lambda: visible(user, 'No such generation'))
    await user.should_not_see('Generation in progress')
