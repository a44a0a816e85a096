"""The dashboard's downloads over HTTP (api/page_downloads.py): the filtered CSV of /logs is exactly the API's
streamed export of the same rows, its count the API's usage; the full ZIP streams; and neither answers a browser
without a dashboard session when a password is configured."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from nicegui.testing import User

from services import db
from services.account.accounts import create_account
from services.models import Account
from services.usage.ranges import resolve_range
from tests.browser.conftest import serve
from tests.conftest import fresh_database
from tests.support import factories

PASSWORD = 'correct horse battery staple'
MODELS = ['openai/gpt-4o-mini', 'mistral/mistral-small']


def seed(account_id: int, count: int = 40) -> None:
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        for i in range(count):
            factories.generation(
                account,
                session=session,
                offer=factories.offer_of(MODELS[i % 2]),
                status=('completed', 'failed', 'cancelled')[i % 3],
                created_at=now - timedelta(hours=5 * i + 1),
                external_id=f'=cmd|{i}' if i == 3 else None,  # a cell a spreadsheet would run: written safely
            )
        factories.generation(account, session=session, created_at=now - timedelta(days=45))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace('+00:00', 'Z')


async def test_the_page_export_is_the_apis_export_of_the_same_rows(api: httpx.AsyncClient, account_id, make_key):
    seed(account_id)
    headers = make_key('read')
    period = resolve_range('Europe/Paris', '7d')
    window = {'from': iso(period.since), 'to': iso(period.until)}
    for page_query, api_query in (
        ({'range': '7d'}, window),
        ({'range': '7d', 'model': MODELS[1]}, window | {'model': MODELS[1]}),
        ({'range': '7d', 'status': 'failed'}, window | {'status': 'failed'}),
    ):
        page = await api.get('/logs/export.csv', params=page_query)
        assert page.status_code == 200, page.text
        assert page.headers['content-type'].startswith('text/csv')
        first, last = period.first.isoformat(), period.last.isoformat()
        assert page.headers['content-disposition'] == f'attachment; filename="generations-{first}-to-{last}.csv"'
        exported = await api.get('/api/v1/generations.csv', params=api_query, headers=headers)
        assert exported.status_code == 200
        assert page.text == exported.text
        rows = page.text.count('\r\n') - 1
        assert rows > 0
        if 'status' not in page_query:  # the usage API groups by model; its requests count the same rows
            usage = await api.get(
                '/api/v1/usage', params={k: v for k, v in api_query.items()} | {'group_by': 'model'}, headers=headers
            )
            assert sum(item['requests'] for item in usage.json()['items']) == rows
    assert "'=cmd|3" in (await api.get('/logs/export.csv', params={'range': '7d'})).text


async def test_a_wrong_range_or_filter_is_refused_with_its_reason(api: httpx.AsyncClient, account_id):
    answer = await api.get('/logs/export.csv', params={'range': 'custom', 'from': '2026-05-10', 'to': '2026-05-01'})
    assert answer.status_code == 422
    assert answer.json()['error']['message'] == 'to: the end of the range is before its start'
    assert (await api.get('/logs/export.csv', params={'status': 'lost'})).status_code == 422


async def test_the_full_zip_streams_from_the_page_route(user: User, api: httpx.AsyncClient, account_id):
    seed(account_id, 5)
    answer = await api.get('/settings/export.zip')
    assert answer.status_code == 200
    assert answer.headers['content-disposition'].startswith('attachment; filename="lowrouter-export-')
    archive = zipfile.ZipFile(io.BytesIO(answer.content))
    assert archive.testzip() is None
    assert archive.read('generations.csv').decode().count('\r\n') == 1 + 6


@pytest.fixture(scope='module')
def guarded(tmp_path_factory):
    """The app with a dashboard password, over one account with generations."""
    with fresh_database(tmp_path_factory.mktemp('guarded')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account_id = create_account(session, name='Guarded', timezone='UTC').id
        seed(account_id, 6)
        yield from serve(url, '--no-demo', env={'LOWROUTER_DASHBOARD_PASSWORD': PASSWORD})


@pytest.mark.parametrize('path', ['/logs/export.csv?range=30d', '/settings/export.zip'])
def test_no_download_without_a_session(guarded, path):
    with httpx.Client(base_url=guarded) as client:
        for cookies in ({}, {'session': 'forged'}):
            client.cookies.clear()
            client.cookies.update(cookies)
            answer = client.get(path)
            assert answer.status_code in (303, 401)
            assert 'gen-' not in answer.text and 'PK' not in answer.text[:4]
        signed_in = client.post('/login', data={'password': PASSWORD, 'next': '/logs'})
        assert signed_in.status_code == 303 and signed_in.headers['location'] == '/logs'
        answer = client.get(path)
        assert answer.status_code == 200
        if path.endswith('.zip'):
            assert answer.content[:2] == b'PK'
        else:
            assert answer.content.count(b'\r\ngen-') == 6
        client.post('/logout')
        answer = client.get(path)  # the session is over: nothing is served any more
        assert answer.status_code in (303, 401) and 'gen-' not in answer.text
