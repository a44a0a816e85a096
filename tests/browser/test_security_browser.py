"""Real Chromium: known script-injection payloads, fed through every query parameter and every name a page
shows, run nothing; every page works under the Content-Security-Policy; a tab stops acting after sign-out."""

from urllib.parse import quote

import httpx
import pytest
from sqlmodel import select

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key
from services.models import ApiKey
from tests.browser.conftest import DESKTOP, MOBILE, screenshot, serve
from tests.conftest import fresh_database

PAYLOADS = [
    '"><img src=x onerror=window.__xss=1>',
    'x" :title="window.__xss=1"',
    'x" :title="window.__xss=1',  # the props string supplies the closing quote
    '/x" :title="window.__xss=1',  # a local-looking path, for ?next=
    "x' :title='window.__xss=1'",
    "{{constructor.constructor('window.__xss=1')()}}",
    'javascript:window.__xss=1',
    '</script><script>window.__xss=1</script>',
    '"><svg onload=alert(1)>',
]
NAME = 'x" :title="window.__xss=1" <img src=x onerror=alert(1)> {{constructor.constructor(\'alert(1)\')()}}'
PASSWORD = 'correct horse battery staple'
# record every script-policy violation and every dialog, before any page script runs
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
"""


@pytest.fixture(scope='module')
def poisoned(tmp_path_factory):
    """An account, keys and generations whose names and fields are payloads; yields (base URL, generation id)."""
    with fresh_database(tmp_path_factory.mktemp('xss')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name=NAME, timezone='Europe/Paris')
            secret = create_key(session, account, name=NAME, scopes=['ingest', 'read']).secret
            for n, payload in enumerate(PAYLOADS):
                create_key(session, account, name=payload[:60] + f' {n}', scopes=['read'])
        server = serve(url, '--no-demo')
        base = next(server)
        headers = {'Authorization': f'Bearer {secret}'}
        ids = []
        for n, payload in enumerate(PAYLOADS):
            candidate = {'provider': payload, 'model': payload, 'region': payload, 'status': 'picked'}
            body = {
                'model': 'openai/gpt-4o-mini',
                'prompt_tokens': 100,
                'completion_tokens': 20,
                'requested_model': payload[:120],
                'external_id': f'{payload} {n}',
                'routing_trace': {'reason': payload, 'requested_model': payload, 'strategy': payload,
                                  'candidates': [candidate], 'attempts': [
                                      {'provider': payload, 'region': payload, 'outcome': payload},
                                      {'provider': payload, 'region': payload, 'outcome': payload}]},
            }  # fmt: skip
            answer = httpx.post(f'{base}/api/v1/generations', json=body, headers=headers, timeout=30)
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()['id'])
        yield base, ids[0]
        server.close()


def pages_to_visit(generation_id: str) -> list[str]:
    paths = ['/dashboard', '/keys', '/credits', '/invoices', '/routing', '/settings', '/eco/methodology']
    paths.append(f'/transactions/{generation_id}')
    for payload in PAYLOADS:
        value = quote(payload, safe='')
        paths += [
            f'/login?error={value}&next={value}',
            f'/dashboard?model={value}',
            f'/dashboard?key={value}',
            f'/transactions/{value}',
        ]
    return paths


@pytest.mark.parametrize('viewport', [DESKTOP, MOBILE], ids=['desktop', 'mobile'])
def test_no_payload_runs_on_any_page(poisoned, browser, viewport):
    base, generation_id = poisoned
    context = browser.new_context(viewport=viewport, is_mobile=viewport is MOBILE)
    context.add_init_script(WATCH)
    page = context.new_page()
    dialogs: list[str] = []
    page.on('dialog', lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    ran = []
    for path in pages_to_visit(generation_id):
        answer = page.goto(base + path)
        if answer.headers['content-type'].startswith('text/html'):  # a 422 for ?key=<not a number> is JSON
            page.wait_for_function('window.did_handshake === true', timeout=10_000)
            page.wait_for_load_state('networkidle')
        if page.evaluate('window.__xss') is not None or dialogs:
            ran.append(path)
        violations = page.evaluate('window.__violations')
        assert not violations, f'{path}: {violations}'
    assert not ran and not dialogs, f'script ran on {ran} ({dialogs})'
    page.goto(f'{base}/transactions/{generation_id}')
    page.get_by_text('Routing trace').first.wait_for()
    screenshot(page, f'xss-transaction-{"mobile" if viewport is MOBILE else "desktop"}')
    context.close()


def test_every_page_works_under_the_policy(poisoned, desktop):
    """Charts draw, dialogs open, and no script, style or socket is blocked by the Content-Security-Policy."""
    base, _ = poisoned
    desktop.context.add_init_script(WATCH)
    desktop.goto(f'{base}/dashboard')
    desktop.locator('.js-plotly-plot .main-svg').first.wait_for()
    desktop.goto(f'{base}/keys')
    desktop.get_by_role('button', name='Create key').click()
    desktop.locator('.q-dialog').get_by_label('Name').wait_for()
    desktop.goto(f'{base}/routing')
    desktop.get_by_text('Auto-routing').first.wait_for()
    assert desktop.evaluate('window.__violations') == []
    desktop.goto(f'{base}/api/docs')  # Swagger UI's own files, served by the app: it works offline
    desktop.get_by_text('/api/v1/credits').first.wait_for()
    assert desktop.evaluate('window.__violations') == []


@pytest.fixture(scope='module')
def guarded(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp('guarded')) as url:
        db.init_db(url)
        with db.session_scope() as session:
            create_account(session, name='Guarded')
        server = serve(url, '--no-demo', env={'LOWROUTER_DASHBOARD_PASSWORD': PASSWORD})
        yield next(server), url
        server.close()


def test_an_open_tab_cannot_create_a_key_after_sign_out(guarded, browser):
    base, url = guarded
    context = browser.new_context(viewport=DESKTOP)
    tab, idle = context.new_page(), context.new_page()
    tab.goto(f'{base}/keys')
    tab.get_by_label('Password').fill(PASSWORD)
    tab.get_by_role('button', name='Sign in').click()
    tab.wait_for_url('**/keys')
    idle.goto(f'{base}/credits')
    idle.wait_for_function('window.did_handshake === true')
    tab.get_by_role('button', name='Create key').click()
    dialog = tab.locator('.q-dialog')
    dialog.get_by_label('Name').fill('after-sign-out')
    tab.evaluate('window.open = () => null')  # this tab ignores being sent to /login, as a hostile script would
    other = context.new_page()  # signing out in a third tab, the way the header's button does
    other.goto(f'{base}/dashboard')
    other.get_by_role('button', name='Sign out').click()
    other.wait_for_url('**/login')
    idle.wait_for_url('**/login')  # an idle tab is sent to the login page at once
    dialog.get_by_role('button', name='Create key').click()  # the click reaches the server, which refuses it
    tab.wait_for_timeout(1500)
    assert not tab.get_by_text('it will not be shown again').is_visible()
    db.init_db(url)
    with db.read_scope() as session:
        assert session.exec(select(ApiKey).where(ApiKey.name == 'after-sign-out')).first() is None
    context.close()
