"""Two `python app.py` processes on one database: concurrent ingestion stays exact and both dashboards agree."""

import threading

import httpx
import pytest
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from services.models import Generation, UsageHour
from tests.browser.conftest import serve
from tests.conftest import fresh_database

PER_THREAD = 40


@pytest.fixture(scope='module')
def two_apps(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp('multi')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Shared')
            secret = create_key(session, account, name='both', scopes=['ingest', 'read']).secret
        first, second = serve(url, '--no-demo'), serve(url, '--no-demo')
        yield next(first), next(second), secret
        first.close()
        second.close()


def test_concurrent_ingestion_through_two_processes_is_exact(two_apps):
    base_a, base_b, secret = two_apps
    headers = {'Authorization': f'Bearer {secret}'}
    errors = []

    def ingest(base: str, name: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for i in range(PER_THREAD):
                body = {
                    'model': 'openai/gpt-4o-mini',
                    'prompt_tokens': 100 + i,
                    'completion_tokens': 10,
                    'external_id': f'{name}-{i}',
                }
                response = client.post('/api/v1/generations', json=body)
                if response.status_code != 201:
                    errors.append(response.text)
            # a retry through the other process records nothing new
            other = base_b if base == base_a else base_a
            retry = httpx.post(f'{other}/api/v1/generations', json=body, headers=headers, timeout=30)
            if retry.status_code != 200:
                errors.append(retry.text)

    threads = [
        threading.Thread(target=ingest, args=(base, f'{base[-5:]}-{n}')) for base in (base_a, base_b) for n in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    expected = 4 * PER_THREAD
    with db.session_scope() as session:
        assert session.exec(select(func.count()).select_from(Generation)).one() == expected
        assert session.exec(select(func.sum(UsageHour.requests))).one() == expected
        tokens = session.exec(select(func.sum(Generation.prompt_tokens))).one()
        assert session.exec(select(func.sum(UsageHour.prompt_tokens))).one() == tokens
    usage = [httpx.get(f'{b}/api/v1/usage', headers=headers).json()['items'] for b in (base_a, base_b)]
    assert usage[0] == usage[1] and usage[0][0]['requests'] == expected
    pages = [httpx.get(f'{b}/dashboard').text for b in (base_a, base_b)]
    assert all(f'{expected:,}' in page for page in pages)  # Usage today: requests


def test_api_requests_skip_the_page_middleware_and_pages_keep_it(two_apps):
    base_a, _, secret = two_apps
    headers = {'Authorization': f'Bearer {secret}'}
    api = httpx.get(f'{base_a}/api/v1/usage', headers=headers)
    assert api.status_code == 200 and 'set-cookie' not in api.headers  # no browser session per API call
    missing = httpx.get(f'{base_a}/api/v1/usage')
    assert missing.status_code == 401 and missing.json()['error']['code'] == 'unauthorized'
    invalid = httpx.post(f'{base_a}/api/v1/generations', content=b'not json', headers=headers)
    assert invalid.status_code == 422 and 'error' in invalid.json()
    page = httpx.get(f'{base_a}/dashboard')
    assert page.status_code == 200 and 'set-cookie' in page.headers  # pages still get their session
