"""Unknown /api paths and wrong methods on a live `python app.py`: the JSON error shape, and a quiet log."""

import time

import httpx
import pytest

from bench.server import AppProcess
from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from tests.conftest import fresh_database

UNKNOWN = ('/api', '/api/', '/api/nope', '/api/v1', '/api/v1/', '/api/v1/nope', '/api/v1/chat/completionsX')
WRONG_METHOD = (('GET', '/api/v1/chat/completions'), ('DELETE', '/api/v1/credits'), ('PUT', '/api/v1/models'))


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp('unknown')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Paths Co')
            secret = create_key(session, account, name='all', scopes=['inference', 'read', 'manage']).secret
        with AppProcess(url) as app:
            yield app, {'Authorization': f'Bearer {secret}'}


def _shape(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    assert response.headers['content-type'] == 'application/json', response.headers
    body = response.json()
    assert list(body) == ['error'] and set(body['error']) == {'code', 'message'}, body
    assert body['error']['code'] == code, body
    return body['error']['message']


def test_unknown_paths_and_wrong_methods_answer_json_and_log_no_traceback(live):
    app, headers = live
    with httpx.Client(base_url=app.base, timeout=30) as client:
        for path in UNKNOWN:
            for method in ('GET', 'POST', 'PUT', 'DELETE'):
                for sent in ({}, headers):
                    response = client.request(method, path, headers=sent, json={'model': 'x'})
                    assert _shape(response, 404, 'not_found') == f'no such path: {path}'
            assert client.head(path).status_code == 404
        for method, path in WRONG_METHOD:
            message = _shape(client.request(method, path, headers=headers), 405, 'method_not_allowed')
            assert message == 'this method is not allowed here; see /api/docs'
        page = client.get('/nope')  # pages keep their HTML page
        assert page.status_code == 404 and page.headers['content-type'].startswith('text/html')
        assert client.get('/api/v1/credits', headers=headers).status_code == 200  # the server still serves
    deadline = time.monotonic() + 5
    while '/nope not found' not in app.log and time.monotonic() < deadline:  # NiceGUI notes the unknown page
        time.sleep(0.05)  # the log is read through a pipe, by a thread
    log = app.log
    assert '/nope not found' in log, log[-3000:]
    assert 'Traceback' not in log and 'ERROR' not in log, log[-3000:]
