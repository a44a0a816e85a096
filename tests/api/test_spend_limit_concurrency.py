"""A key's spend limit under concurrent requests to a real `python app.py`: never passed, not by a micro-unit."""

import threading
import time

import httpx
import pytest
from sqlmodel import func, select

from services import db
from services.catalog import get_catalog
from services.models import Generation, KeySpend
from services.money import offer_cost_micros
from tests.browser.conftest import serve
from tests.conftest import fresh_database
from tests.support import factories
from tests.support.fake_upstream import FakeUpstream

CLIENTS = 50
ROUTED = 'openai/gpt-4o'  # priced high enough that a few tokens cost whole micro-units


@pytest.fixture(scope='module')
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp('limits')
    offer = min(get_catalog().offers_for(ROUTED), key=lambda o: o.input_usd_per_mtok + o.output_usd_per_mtok)
    with FakeUpstream() as upstream, fresh_database(folder) as url:
        config = folder / 'upstreams.toml'
        config.write_text(f'[providers.{offer.provider}]\nbase_url = "{upstream.base_url(offer.provider)}"\n')
        db.init_db(url)
        with db.session_scope() as session:
            account = factories.account(session=session, name='Limits Co')
            factories.top_up(account, '100.00', session=session, method='bank_transfer', idempotency_key='seed')
            account_id = account.id
        for base in serve(url, '--no-demo', env={'LOWROUTER_UPSTREAMS': str(config)}):
            yield base, account_id


def _key(account_id: int, scopes: list[str], limit: str) -> tuple[int, dict]:
    new = factories.api_key(account_id, name='limited', scopes=scopes, spend_limit=limit)
    return new.key.id, factories.bearer(new)


def _all_at_once(send) -> list[httpx.Response]:
    """`send(client)` from CLIENTS threads released together; their responses."""
    start, answers = threading.Barrier(CLIENTS), []

    def one() -> None:
        with httpx.Client(timeout=60) as client:
            start.wait()
            answers.append(send(client))

    threads = [threading.Thread(target=one) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _wait_for_records(key_id: int, count: int, timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with db.session_scope() as session:
            stored = session.exec(select(func.count()).where(Generation.api_key_id == key_id)).one()
        if stored >= count or time.monotonic() > deadline:
            assert stored == count
            return
        time.sleep(0.02)


def _spent(key_id: int) -> tuple[int, int]:
    """The key's recorded generations' cost, and what key_spend counts for it (micro-units)."""
    with db.session_scope() as session:
        generations = session.exec(
            select(func.coalesce(func.sum(Generation.cost_micros), 0)).where(Generation.api_key_id == key_id)
        ).one()
        counted = session.exec(
            select(func.coalesce(func.sum(KeySpend.cost_micros), 0)).where(KeySpend.api_key_id == key_id)
        ).one()
    return generations, counted


def test_concurrent_ingestion_never_passes_the_limit(app):
    base, account_id = app
    key_id, headers = _key(account_id, ['ingest'], '0.10')
    body = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 10, 'completion_tokens': 5, 'cost': '0.01'}
    answers = _all_at_once(lambda client: client.post(f'{base}/api/v1/generations', json=body, headers=headers))
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] * 10 + [402] * (CLIENTS - 10), [a.text for a in answers if a.status_code not in (201, 402)]
    assert all(a.json()['error']['code'] == 'spend_limit_reached' for a in answers if a.status_code == 402)
    assert _spent(key_id) == (100_000, 100_000)  # exactly the limit, recorded and counted


def test_concurrent_inference_never_passes_the_limit(app):
    base, account_id = app
    request = {'model': ROUTED, 'messages': [{'role': 'user', 'content': 'hi'}], 'max_tokens': 4}
    offer = min(get_catalog().offers_for(ROUTED), key=lambda o: o.input_usd_per_mtok + o.output_usd_per_mtok)
    one = offer_cost_micros(get_catalog(), offer, 7, 4, 'USD')  # what the fake upstream reports for it
    key_id, headers = _key(account_id, ['inference'], f'{one * 5 / 1_000_000:.6f}')
    answers = _all_at_once(lambda c: c.post(f'{base}/api/v1/chat/completions', json=request, headers=headers))
    codes = [a.status_code for a in answers]
    assert set(codes) <= {200, 402}, [a.text for a in answers if a.status_code not in (200, 402)]
    _wait_for_records(key_id, codes.count(200))  # journalled before each answer, in the database a moment later
    recorded, counted = _spent(key_id)
    assert 1 <= codes.count(200) <= 5 and recorded == one * codes.count(200)
    assert recorded <= one * 5 and counted == recorded  # every reservation settled to the real cost
