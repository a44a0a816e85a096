"""On a live `python app.py`: oversized bodies are refused before they are read, and concurrent retries with
one idempotency key record once (no 500, never a second record, never a success for a different amount)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import func, select

from services import db
from services.models import ApiKey, Generation, LedgerEntry
from tests.support.live_app import live_app

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 812, 'completion_tokens': 240}
LIMIT = 1_048_576  # the default LOWROUTER_MAX_BODY_BYTES


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    """(base URL, headers of a key holding every scope, that key's id) of a real app on a fresh database."""
    with live_app(tmp_path_factory.mktemp('live')) as app:
        with db.read_scope() as session:
            key_id = session.exec(select(ApiKey.id).where(ApiKey.account_id == app.account_id)).one()
        yield app.base, app.headers, key_id


def test_a_body_declared_too_large_is_refused_before_it_is_sent(live):
    base, headers, key_id = live
    began = time.perf_counter()
    status, body = _raw(base, 'POST', '/api/v1/generations', headers, {'Content-Length': str(50 * LIMIT)}, b'')
    assert status == 413 and body['error']['code'] == 'too_large', body
    assert str(LIMIT) in body['error']['message'] and time.perf_counter() - began < 5
    _assert_nothing_written(key_id)


def test_a_streamed_body_is_refused_once_past_the_limit(live):
    base, headers, key_id = live
    chunk = b'x' * 65_536
    chunks = b''.join(b'%x\r\n%s\r\n' % (len(chunk), chunk) for _ in range(LIMIT // len(chunk) + 2))
    status, body = _raw(base, 'POST', '/api/v1/generations', headers, {'Transfer-Encoding': 'chunked'}, chunks)
    assert status == 413 and body['error']['code'] == 'too_large', body
    _assert_nothing_written(key_id)


def test_a_body_within_the_limit_is_accepted(live):
    base, headers, _ = live
    padded = GEN | {'routing_trace': {'note': 'x' * 60_000}}  # 60 KB of trace: within both limits
    response = httpx.post(f'{base}/api/v1/generations', json=padded, headers=headers, timeout=30)
    assert response.status_code == 201, response.text


def test_concurrent_requests_with_one_idempotency_key_record_once(live):
    base, headers, _ = live
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: _post(base, '/api/v1/generations', GEN, headers, 'same-key'), range(20)))
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 19 + [201], answers
    assert len({body['id'] for _, body in answers}) == 1
    with db.session_scope() as session:
        stored = session.exec(select(func.count()).where(Generation.idempotency_key == 'same-key')).one()
    assert stored == 1


def test_concurrent_top_ups_with_one_key_and_different_amounts_never_succeed_twice(live):
    base, headers, _ = live
    amounts = ['10.00', '20.00'] * 5
    gate = threading.Barrier(len(amounts))

    def top_up(amount: str):
        gate.wait()
        return amount, *_post(base, '/api/v1/credits/top-ups', {'amount': amount}, headers, 'top-up-race')

    with ThreadPoolExecutor(len(amounts)) as pool:
        answers = list(pool.map(top_up, amounts))
    created = [a for a in answers if a[1] == 201]
    assert len(created) == 1, answers
    winner = created[0][0]
    for amount, status, body in answers:
        if status == 200:  # a retry of the same top-up
            assert amount == winner and body['top_up']['amount'].startswith(amount[:-3]), answers
        elif status != 201:
            assert (status, body['error']['code']) == (409, 'conflict') and amount != winner, answers
    with db.session_scope() as session:
        assert session.exec(select(func.count()).where(LedgerEntry.idempotency_key == 'top-up-race')).one() == 1


def _post(base: str, path: str, body: dict, headers: dict, idempotency_key: str) -> tuple[int, dict]:
    response = httpx.post(
        f'{base}{path}', json=body, headers=headers | {'Idempotency-Key': idempotency_key}, timeout=60
    )
    return response.status_code, response.json()


def _raw(base: str, method: str, path: str, headers: dict, more: dict, body: bytes) -> tuple[int, dict]:
    """A request sent over a plain socket, so the body can stop (or never start) wherever the test wants."""
    host, port = base.removeprefix('http://').split(':')
    lines = [f'{method} {path} HTTP/1.1', f'Host: {host}:{port}', 'Content-Type: application/json']
    lines += [f'{k}: {v}' for k, v in (headers | more).items()]
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        with contextlib.suppress(OSError):  # the server may answer and close while the body is still coming
            connection.sendall(body)
        answer = b''
        while b'\r\n\r\n' not in answer or len(answer) < _expected_length(answer):
            data = connection.recv(65_536)
            if not data:
                break
            answer += data
    head, _, content = answer.partition(b'\r\n\r\n')
    return int(head.split()[1]), json.loads(content)


def _expected_length(answer: bytes) -> int:
    head, _, _ = answer.partition(b'\r\n\r\n')
    for line in head.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            return len(head) + 4 + int(value)
    return len(answer) + 1


def _assert_nothing_written(key_id: int) -> None:
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Generation)).one() == 0
        assert session.get(ApiKey, key_id).last_used_at is None  # the key was not even looked at
