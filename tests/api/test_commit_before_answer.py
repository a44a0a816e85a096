"""Nothing acknowledged is lost: every API write is in the database when its answer arrives, and when the
commit fails (a full disk) the answer is an error, never a success, and nothing of the request is stored.

Against a real `python app.py` process: an in-process client waits for the whole app, commit included,
so it cannot tell an answer sent before the commit from one sent after.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import SQLModel, select, text

from services import db
from services.keys.api_keys import create_key, hash_secret
from services.models import Account, ApiKey, Generation, LedgerEntry, Outbox, Receipt, RoutingPolicy
from services.routing.policies import set_key_override
from tests.support.live_app import disk_full, live_app

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 120, 'completion_tokens': 30}


@dataclass
class Write:
    name: str
    send: Callable[[httpx.Client, int, str, int], httpx.Response]  # client, victim key id, tag, round
    stored: Callable[[object, int, str, int, dict], bool]  # session, victim key id, tag, round, answer


def _key(session, key_id: int) -> ApiKey:
    return session.get(ApiKey, key_id)


def _policy(session, key_id: int | None) -> RoutingPolicy | None:
    query = select(RoutingPolicy)
    query = query.where(RoutingPolicy.api_key_id.is_(None) if key_id is None else RoutingPolicy.api_key_id == key_id)
    return session.exec(query).first()


WRITES = [
    Write(
        'top-up',
        lambda c, v, tag, n: c.post(
            '/api/v1/credits/top-ups', json={'amount': '5.00'}, headers={'Idempotency-Key': tag}
        ),
        lambda s, v, tag, n, a: (
            s.exec(select(LedgerEntry).where(LedgerEntry.idempotency_key == tag)).first() is not None
            and s.exec(select(Receipt).where(Receipt.number == a['receipt']['number'])).first() is not None
        ),
    ),
    Write(
        'create key',
        lambda c, v, tag, n: c.post('/api/v1/keys', json={'name': tag, 'scopes': ['read']}),
        lambda s, v, tag, n, a: (
            _key(s, a['id']) is not None and _key(s, a['id']).secret_hash == hash_secret(a['secret'])
        ),
    ),
    Write(
        'update key',
        lambda c, v, tag, n: c.patch(f'/api/v1/keys/{v}', json={'name': tag}),
        lambda s, v, tag, n, a: _key(s, v).name == tag,
    ),
    Write(
        'key routing override',
        lambda c, v, tag, n: c.put(f'/api/v1/keys/{v}/routing', json={'max_latency_ms': 1000 + n}),
        lambda s, v, tag, n, a: _policy(s, v) is not None and _policy(s, v).settings == {'max_latency_ms': 1000 + n},
    ),
    Write(
        'clear key routing override',
        lambda c, v, tag, n: c.delete(f'/api/v1/keys/{v}/routing'),
        lambda s, v, tag, n, a: _policy(s, v) is None,
    ),
    Write(
        'rotate key',
        lambda c, v, tag, n: c.post(f'/api/v1/keys/{v}/rotate', json={'grace': 'none'}),
        lambda s, v, tag, n, a: _key(s, v).secret_hash == hash_secret(a['secret']),
    ),
    Write(
        'revoke key',
        lambda c, v, tag, n: c.post(f'/api/v1/keys/{v}/revoke'),
        lambda s, v, tag, n, a: _key(s, v).revoked_at is not None,
    ),
    Write(
        'routing defaults',
        lambda c, v, tag, n: c.put('/api/v1/routing', json={'max_latency_ms': 2000 + n}),
        lambda s, v, tag, n, a: _policy(s, None).settings.get('max_latency_ms') == 2000 + n,
    ),
    Write(
        'retention',
        lambda c, v, tag, n: c.put('/api/v1/retention', json={'retention_days': 30 + n}),
        lambda s, v, tag, n, a: s.exec(select(Account)).first().retention_days == 30 + n,
    ),
    Write(
        'ingest one',
        lambda c, v, tag, n: c.post('/api/v1/generations', json=GEN | {'external_id': tag}),
        lambda s, v, tag, n, a: s.exec(select(Generation).where(Generation.external_id == tag)).first() is not None,
    ),
    Write(
        'ingest batch',
        lambda c, v, tag, n: c.post(
            '/api/v1/generations/batch', json={'generations': [GEN | {'external_id': f'{tag}.{i}'} for i in range(3)]}
        ),
        lambda s, v, tag, n, a: (
            len(s.exec(select(Generation).where(Generation.external_id.in_([f'{tag}.{i}' for i in range(3)]))).all())
            == 3
        ),
    ),
]


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    with live_app(tmp_path_factory.mktemp('live')) as live:
        yield live


def _victim(live) -> int:
    """A fresh key with a routing override, for the writes that change one, made by the operator through the
    test's own connection."""
    with db.session_scope() as session:
        account = session.get(Account, live.account_id)
        key = create_key(session, account, name='victim', scopes=['read']).key
        set_key_override(session, account, key.id, {'strategy': 'lowest_carbon'})
        return key.id


def test_every_write_is_in_the_database_when_its_answer_arrives(live):
    missing = []
    with httpx.Client(base_url=live.base, headers=live.headers, timeout=30) as client:
        for round_ in range(5):
            victim = _victim(live)
            for write in WRITES:
                tag = f'r{round_}-{write.name.replace(" ", "-")}'
                answer = write.send(client, victim, tag, round_)
                assert answer.status_code < 300, (write.name, answer.status_code, answer.text)
                body = answer.json() if answer.content else {}
                with db.read_scope() as session:  # at once, through a connection of this process
                    if not _holds(write, session, victim, tag, round_, body):
                        missing.append(f'{write.name} (round {round_})')
    assert missing == []
    with db.read_scope() as session:  # the receipts' e-mails were queued with them
        assert len(session.exec(select(Outbox).where(Outbox.kind == 'receipt')).all()) == 5


def test_a_full_disk_answers_an_error_for_every_write_and_stores_nothing(live):
    victim = _victim(live)
    with db.read_scope() as session:
        receipts_before = sorted(session.exec(select(Receipt.seq)).all())
    claimed = []
    with httpx.Client(base_url=live.base, headers=live.headers, timeout=30) as client, disk_full(live):
        before = _fingerprint()
        for write in WRITES:
            tag = f'full-{write.name.replace(" ", "-")}'
            answer = write.send(client, victim, tag, 99)
            if answer.status_code < 500 or not _error_shaped(answer) or 'lr-' in answer.text:
                claimed.append(f'{write.name}: {answer.status_code} {answer.text[:200]}')
        assert client.get('/api/v1/credits').status_code == 200  # reads go on
        after = _fingerprint()
    assert claimed == []
    assert after == before  # not a row changed, e-mail outbox and bell included
    with httpx.Client(base_url=live.base, headers=live.headers, timeout=30) as client:  # the disk has room again
        answer = client.post('/api/v1/credits/top-ups', json={'amount': '7.00'}, headers={'Idempotency-Key': 'later'})
    assert answer.status_code == 201, answer.text
    with db.read_scope() as session:
        receipts_after = sorted(session.exec(select(Receipt.seq)).all())
    assert receipts_after == receipts_before + [len(receipts_before) + 1]  # numbering stays contiguous
    assert receipts_after == list(range(1, len(receipts_after) + 1))


def _error_shaped(answer: httpx.Response) -> bool:
    return answer.headers.get('content-type') == 'application/json' and set(answer.json()) == {'error'}


def _holds(write: Write, *args) -> bool:
    try:
        return write.stored(*args)
    except AttributeError:  # a row that is not there
        return False


def _fingerprint() -> dict[str, str]:
    """A digest of every row of every table, read through this process's own connection."""
    digests = {}
    with db.read_scope() as session:
        for table in SQLModel.metadata.sorted_tables:
            rows = session.execute(text(f'SELECT * FROM {table.name} ORDER BY 1')).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests
