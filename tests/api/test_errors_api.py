"""One error shape for every /api answer that is an error, and never a 500 for bad input."""

import json
import logging
import re

import pytest
from fastapi.routing import APIRoute
from nicegui import app
from sqlalchemy import text
from sqlmodel import func, select

from services import db
from services.models import ApiKey, Generation, LedgerEntry

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 812, 'completion_tokens': 240}
TOO_BIG = 2**63  # one past the largest 64-bit id; ids past 2**31 - 1 are refused too (PostgreSQL's INTEGER)


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers['content-type'].startswith('application/json'), response.text
    error = response.json()['error']
    assert error['code'] == code and isinstance(error['message'], str) and error['message'], error
    return error


async def test_unknown_paths_methods_and_unparsable_bodies_answer_in_the_shape(api, make_key):
    headers = make_key('read', 'manage')
    assert 'no such path' in _error(await api.get('/api/v1/nothing-here', headers=headers), 404, 'not_found')['message']
    _error(await api.get('/api/nothing-here'), 404, 'not_found')
    _error(await api.get('/api'), 404, 'not_found')
    _error(await api.delete('/api/v1/credits', headers=headers), 405, 'method_not_allowed')
    garbled = await api.post(
        '/api/v1/keys', content=b'{"name": ', headers=headers | {'Content-Type': 'application/json'}
    )
    assert _error(garbled, 422, 'invalid')['message'].startswith('body: not valid JSON')
    unknown = await api.put('/api/v1/routing', json={'colour': 'green'}, headers=headers)
    assert _error(unknown, 422, 'invalid')['message'] == 'colour: unknown field'
    assert (await api.get('/nothing-here')).headers['content-type'].startswith('text/html')  # pages keep their page


@pytest.mark.parametrize(
    ('method', 'path', 'body', 'extra_headers', 'field'),
    [
        ('post', f'/api/v1/keys/{TOO_BIG}/revoke', None, {}, 'key_id'),
        ('post', f'/api/v1/keys/{2**31}/rotate', None, {}, 'key_id'),
        ('get', f'/api/v1/receipts/{TOO_BIG}/pdf', None, {}, 'receipt_id'),
        ('get', f'/api/v1/invoices/{TOO_BIG}/pdf', None, {}, 'invoice_id'),
        ('get', f'/api/v1/keys/{TOO_BIG}/routing', None, {}, 'key_id'),
        ('get', f'/api/v1/generations?key={TOO_BIG}', None, {}, 'key'),
        ('get', '/api/v1/usage?from=0001-01-01T00:00:00%2B05:00', None, {}, 'from'),
        ('post', '/api/v1/generations', GEN | {'external_id': {'a': 1}}, {}, 'external_id'),
        (
            'post',
            '/api/v1/generations/batch',
            {'generations': [GEN | {'external_id': ['x']}]},
            {},
            'generations.0.external_id',
        ),
        ('post', '/api/v1/generations', GEN, {'Idempotency-Key': ''}, 'Idempotency-Key'),
        ('post', '/api/v1/generations', GEN | {'created_at': '0001-01-01T00:00:00Z'}, {}, 'created_at'),
        ('post', '/api/v1/credits/top-ups', {'amount': '10.00', 'method': []}, {'Idempotency-Key': 'm'}, 'method'),
        (
            'post',
            '/api/v1/chat/completions',
            {'model': 'lowrouter/auto', 'messages': [{'role': 'user'}], 'max_tokens': 'abc'},
            {},
            'max_tokens',
        ),  # fmt: skip
        (
            'post',
            '/api/v1/chat/completions',
            {'model': 'x', 'messages': [{'role': 'user'}], 'stream_options': 'yes'},
            {},
            'stream_options',
        ),  # fmt: skip
        ('put', '/api/v1/retention', {'retention_days': '30'}, {}, 'retention_days'),
        ('get', '/api/v1/generations?model=a%00b', None, {}, 'url'),
        ('post', '/api/v1/generations', GEN | {'external_id': 'a\x00b'}, {}, 'body'),
        ('post', '/api/v1/keys', {'name': '\ud800', 'scopes': ['read']}, {}, 'body'),
    ],
)
async def test_bad_input_is_a_422_that_names_the_field_and_changes_nothing(
    api, make_key, method, path, body, extra_headers, field
):
    headers = make_key('read', 'manage', 'ingest', 'inference') | extra_headers
    content = None if body is None else _json(body)
    response = await api.request(method, path, content=content, headers=headers | {'Content-Type': 'application/json'})
    assert _error(response, 422, 'invalid')['message'].startswith(f'{field}: '), response.text
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Generation)).one() == 0
        assert session.exec(select(func.count()).select_from(LedgerEntry)).one() == 0
        assert session.exec(select(func.count()).select_from(ApiKey)).one() == 1


async def test_deeply_nested_chat_bodies_are_refused(api, make_key):
    headers = make_key('inference') | {'Content-Type': 'application/json'}
    for depth in (100, 5000):  # one the JSON decoder reads, one it cannot
        body = '{"model": "lowrouter/auto", "messages": ' + '[' * depth + ']' * depth + '}'
        response = await api.post('/api/v1/chat/completions', content=body.encode(), headers=headers)
        assert _error(response, 422, 'invalid')['message'].startswith('body: '), depth


async def test_a_retry_with_a_padded_external_id_returns_the_first_record(api, make_key):
    headers = make_key('ingest')
    first = await api.post('/api/v1/generations', json=GEN | {'external_id': ' req-7 '}, headers=headers)
    again = await api.post('/api/v1/generations', json=GEN | {'external_id': 'req-7 '}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert again.json()['id'] == first.json()['id'] and again.json()['external_id'] == 'req-7'


async def test_a_server_fault_answers_500_with_an_id_that_is_in_the_log(api, caplog):
    def broken() -> dict:
        raise RuntimeError('secret detail of the fault')

    route = APIRoute('/api/v1/test-fault', broken)
    app.router.routes.append(route)
    try:
        with caplog.at_level(logging.ERROR, logger='lowrouter'):
            response = await api.get('/api/v1/test-fault')
    finally:
        app.router.routes.remove(route)
    error = _error(response, 500, 'internal')
    assert re.fullmatch(r'[0-9a-f]{12}', error['id']) and 'secret detail' not in response.text
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(logged) == 1 and error['id'] in logged[0].getMessage()
    assert 'secret detail of the fault' in logged[0].exc_text  # the traceback is in the log, only there
    caplog.clear()  # the ERROR line was the point of this test


async def test_a_database_failure_answers_503_not_stored(api, make_key, caplog):
    headers = make_key('manage', 'read')
    with db.session_scope() as session:
        session.execute(text('DROP TABLE receipt'))  # a real fault of the database under the app
    with caplog.at_level(logging.ERROR, logger='lowrouter'):
        response = await api.get('/api/v1/receipts', headers=headers)
    error = _error(response, 503, 'not_stored')
    assert 'nothing was saved' in error['message'] and re.fullmatch(r'[0-9a-f]{12}', error['id'])
    assert 'receipt' not in error['message']  # no database text in the answer
    assert any(error['id'] in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    caplog.clear()


def _json(body) -> bytes:
    return json.dumps(body).encode('utf-8', 'surrogatepass')
