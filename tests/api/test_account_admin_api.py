"""The account's full export and its deletion over HTTP, with real keys: the export streams the same ZIP
entries as the settings page's download; deletion asks for the account name, as the page does, and without it
deletes nothing."""

import io
import zipfile
from datetime import timedelta

import httpx
from sqlmodel import func, select

from services import db
from services.account.accounts import create_account
from services.account.export import build_export, export_file_name, stream_export
from services.billing.invoices import ensure_invoices
from services.billing.ledger import top_up
from services.keys.api_keys import create_key
from services.models import ACCOUNT_TABLES, Account, utcnow
from services.notifications.queue import queue
from services.routing import policies
from services.usage.ingest import record_generation
from tests.browser.conftest import serve
from tests.conftest import fresh_database

EXPORT = '/api/v1/account/export'
ACCOUNT = '/api/v1/account'
MODELS = ('openai/gpt-4o-mini', 'mistral/mistral-small', 'openai/gpt-4o')


def _seed(account_id: int, tag: str = 'a', generations: int = 30) -> None:
    """Rows in most tables the account owns: generations (this month and the last), keys, top-ups with their
    receipts, invoices, a routing policy and a notification."""
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        key = create_key(session, account, name=f'{tag} app', scopes=['inference'], spend_limit='25.00').key
        now = utcnow()
        for i in range(generations):
            data = {'model': MODELS[i % 3], 'prompt_tokens': 1000 + i, 'completion_tokens': 300 + i}
            data['created_at'] = now - timedelta(days=40 if i % 2 else 0, minutes=i)
            record_generation(session, account, data, api_key_id=key.id)
        top_up(session, account, '20.00', method='manual', idempotency_key=f'{tag}-1')
        top_up(session, account, '35.50', method='manual', idempotency_key=f'{tag}-2')
        ensure_invoices(session, account)
        policies.set_account_settings(session, account, {'strategy': 'lowest_carbon'})
        policies.set_key_override(session, account, key.id, {'strategy': 'cheapest'})
        queue(session, account, kind='receipt', title='Receipt', body='Thanks', link='/credits', dedupe_key=tag)


def _entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _counts(account_id: int) -> dict[str, int]:
    with db.read_scope() as session:
        counts = {
            table.__tablename__: session.exec(
                select(func.count()).select_from(table).where(table.account_id == account_id)
            ).one()
            for table in ACCOUNT_TABLES
        }
        counts['account'] = session.exec(select(func.count()).where(Account.id == account_id)).one()
    return counts


async def test_the_export_streams_the_pages_zip(api, make_key, account_id, monkeypatch):
    _seed(account_id)
    made = utcnow().replace(microsecond=0)
    monkeypatch.setattr('services.account.export.utcnow', lambda: made)  # the page's and the API's, same moment
    manage = make_key('read', 'manage')
    assert (await api.get('/api/v1/profile', headers=manage)).status_code == 200  # its use is recorded now, once
    answer = await api.get(EXPORT, headers=manage)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers['content-type'] == 'application/zip'
    with db.read_scope() as session:
        name = export_file_name(session.get(Account, account_id), made)
    assert answer.headers['content-disposition'] == f'attachment; filename="{name}"'
    page = _entries(build_export(account_id))  # what Settings → Download full export gives
    streamed = _entries(answer.content)
    assert list(streamed) == list(page)
    assert streamed == page
    assert 'generations.csv' in streamed and any(n.startswith('receipts/') for n in streamed)
    assert streamed['generations.csv'].count(b'\n') == 31  # a header and every generation


def test_the_service_hands_the_zip_out_in_chunks(database_url, monkeypatch):
    db.init_db(database_url)
    with db.session_scope() as session:
        account_id = create_account(session, name='Chunky').id
    _seed(account_id, generations=60)
    made = utcnow().replace(microsecond=0)
    monkeypatch.setattr('services.account.export.utcnow', lambda: made)
    export = stream_export(account_id, chunk_size=4096)
    chunks = list(export.chunks)
    assert len(chunks) > 5 and all(chunks)
    assert _entries(b''.join(chunks)) == _entries(build_export(account_id))
    assert export.file_name == f'lowrouter-export-chunky-{made.date().isoformat()}.zip'


async def test_export_needs_the_manage_scope(api, make_key, account_id):
    assert (await api.get(EXPORT)).status_code == 401
    for scope in ('read', 'inference', 'ingest'):
        answer = await api.get(EXPORT, headers=make_key(scope))
        assert answer.status_code == 403 and answer.json()['error']['code'] == 'forbidden', scope


async def test_deletion_without_the_right_confirmation_deletes_nothing(api, make_key, account_id):
    _seed(account_id)
    manage = make_key('manage')
    before = _counts(account_id)
    assert before['generation'] == 30 and before['api_key'] == 2
    for body, start in (
        (None, 'body: required'),
        ({}, 'confirm_name: required'),
        ({'confirm_name': ''}, 'confirm_name: that is not the account name; type “API Co” exactly'),
        ({'confirm_name': 'api co'}, 'confirm_name: that is not the account name'),
        ({'confirm_name': 'API'}, 'confirm_name: that is not the account name'),
        ({'confirm_name': None}, 'confirm_name: '),
        ({'confirm_name': 'API Co', 'also': 'everything'}, 'also: unknown field'),
    ):
        answer = await api.request('DELETE', ACCOUNT, json=body, headers=manage)
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()['error']
        assert error['code'] == 'invalid' and error['message'].startswith(start), (body, error)
    for scope in ('read', 'inference', 'ingest'):
        refused = await api.request('DELETE', ACCOUNT, json={'confirm_name': 'API Co'}, headers=make_key(scope))
        assert refused.status_code == 403, scope
    assert (await api.request('DELETE', ACCOUNT, json={'confirm_name': 'API Co'})).status_code == 401
    after = _counts(account_id)
    assert after == before | {'api_key': before['api_key'] + 3}  # only the keys this test made for the scopes


async def test_deletion_with_the_account_name_deletes_everything_of_the_account(api, make_key, account_id):
    _seed(account_id)
    with db.session_scope() as session:
        other = create_account(session, name='Other Co').id
    _seed(other, tag='b', generations=5)
    manage = make_key('manage')
    before, others = _counts(account_id), _counts(other)
    answer = await api.request('DELETE', ACCOUNT, json={'confirm_name': '  API Co '}, headers=manage)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body['account_id'] == account_id and body['name'] == 'API Co'
    assert body['deleted'] == before and body['deleted']['account'] == 1 and list(body['deleted'])[-1] == 'account'
    assert set(_counts(account_id).values()) == {0}
    assert _counts(other) == others
    gone = await api.get('/api/v1/profile', headers=manage)  # its keys went with it
    assert gone.status_code == 401


def test_the_live_server_sends_the_export_in_chunks(tmp_path):
    """Over a real socket the answer is chunked (no Content-Length): it is sent as it is written."""
    with fresh_database(tmp_path) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name='Live Co')
            secret = create_key(session, account, name='admin', scopes=['manage']).secret
            account_id = account.id
        _seed(account_id, generations=10)
        for base in serve(url, '--no-demo'):
            headers = {'Authorization': f'Bearer {secret}'}  # httpx accepts gzip: a ZIP is sent as it is
            with httpx.stream('GET', f'{base}{EXPORT}', headers=headers, timeout=60) as answer:
                assert answer.status_code == 200
                assert answer.headers.get('transfer-encoding') == 'chunked'
                assert 'content-length' not in answer.headers and 'content-encoding' not in answer.headers
                data = answer.read()
            assert set(_entries(data)) == set(_entries(build_export(account_id)))
