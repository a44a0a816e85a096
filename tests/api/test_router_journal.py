"""A routed request whose answer was sent is recorded, even when the process dies right after answering and the
database had not stored it yet: the next start stores it from the journal."""

import signal
from contextlib import contextmanager

import httpx
from sqlalchemy import create_engine, text

from services import db
from services.account.accounts import create_account
from services.billing.ledger import top_up
from services.catalog import get_catalog
from services.keys.api_keys import create_key
from services.models import Generation
from services.money import offer_cost_micros
from tests.browser.conftest import serve
from tests.conftest import fresh_database
from tests.support.fake_upstream import FakeUpstream

MODEL = 'meta-llama/llama-3.1-8b-instruct'
BODY = {'model': MODEL, 'messages': [{'role': 'user', 'content': 'Hello'}]}


@contextmanager
def _generations_locked(url: str):
    """Another connection holds the lock new generations need (the database cannot store them meanwhile)."""
    engine = create_engine(url, isolation_level='AUTOCOMMIT')
    with engine.connect() as connection:
        if url.startswith('sqlite'):
            connection.exec_driver_sql('BEGIN IMMEDIATE')  # the writer lock; readers go on (WAL)
        else:
            connection.exec_driver_sql('BEGIN')
            connection.execute(text('LOCK TABLE generation IN EXCLUSIVE MODE'))  # plain reads go on
        try:
            yield
        finally:
            connection.exec_driver_sql('ROLLBACK')
    engine.dispose()


def _stored(generation_id: str) -> Generation | None:
    with db.read_scope() as session:
        return session.get(Generation, generation_id)


def test_an_answer_sent_just_before_the_process_died_is_stored_at_the_next_start(tmp_path):
    providers = sorted({o.provider for o in get_catalog().offers_for(MODEL)})
    with FakeUpstream() as upstream, fresh_database(tmp_path) as url:
        config = tmp_path / 'upstreams.toml'
        config.write_text(''.join(f'[providers.{p}]\nbase_url = "{upstream.base_url(p)}"\n\n' for p in providers))
        env = {'LOWROUTER_UPSTREAMS': str(config), 'LOWROUTER_JOURNAL_DIR': str(tmp_path / 'journals')}
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Journal Co')
            top_up(session, account, '10.00', method='bank_transfer', idempotency_key='seed')
            secret = create_key(session, account, name='app', scopes=['inference']).secret
        headers = {'Authorization': f'Bearer {secret}'}
        processes = []
        first = serve(url, '--no-demo', env=env, processes=processes)
        base = next(first)
        assert httpx.post(f'{base}/api/v1/chat/completions', json=BODY, headers=headers).status_code == 200  # warm
        with _generations_locked(url):
            answer = httpx.post(f'{base}/api/v1/chat/completions', json=BODY, headers=headers, timeout=30)
            assert answer.status_code == 200, answer.text  # answered: it is in the journal
            processes[0].send_signal(signal.SIGKILL)
            processes[0].wait(10)
        first.close()
        generation_id = answer.headers['x-lowrouter-generation-id']
        assert _stored(generation_id) is None  # the database never got it from the dead process
        journals = list((tmp_path / 'journals').rglob('*.jsonl'))
        assert len(journals) == 1 and generation_id.encode() in journals[0].read_bytes()
        for _ in serve(url, '--no-demo', env=env):  # the next start
            stored = _stored(generation_id)
            assert stored is not None and stored.status == 'completed'
            usage = answer.json()['usage']
            assert stored.prompt_tokens == usage['prompt_tokens']
            assert stored.completion_tokens == usage['completion_tokens']
            offer = get_catalog().offer(stored.model, stored.provider, stored.region)
            price = offer_cost_micros(get_catalog(), offer, stored.prompt_tokens, stored.completion_tokens, 'USD')
            assert stored.cost_micros == price and stored.api_key_id is not None
            assert not journals[0].exists()
