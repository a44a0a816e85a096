"""Security over real HTTP against `python app.py` on loopback: headers, the Host check, sessions that end,
login throttling that holds under concurrency and spoofed X-Forwarded-For, and the password rules."""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.browser.conftest import ROOT, serve
from tests.conftest import fresh_database

PASSWORD = 'correct horse battery staple'
WRONG = 'That password is not right.'


@pytest.fixture(scope='module')
def proxied(tmp_path_factory):
    """Behind a (pretend) proxy on loopback: each test uses its own X-Forwarded-For client address."""
    env = {'LOWROUTER_DASHBOARD_PASSWORD': PASSWORD, 'LOWROUTER_TRUSTED_PROXIES': '127.0.0.1,::1'}
    with fresh_database(tmp_path_factory.mktemp('proxied')) as url:
        yield from serve(url, '--no-demo', env=env)


@pytest.fixture(scope='module')
def direct(tmp_path_factory):
    """No proxy configured (the default): X-Forwarded-For means nothing."""
    env = {'LOWROUTER_DASHBOARD_PASSWORD': PASSWORD, 'LOWROUTER_ALLOWED_HOSTS': 'dash.example.com'}
    with fresh_database(tmp_path_factory.mktemp('direct')) as url:
        yield from serve(url, '--no-demo', env=env)


def sign_in(client: httpx.Client, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return client.post('/login', data={'password': password, 'next': '/keys'}, headers=headers)


def error_of(answer: httpx.Response) -> str:
    """The message a refused sign-in sends back to the login page ('' when it let the browser in)."""
    return parse_qs(urlsplit(answer.headers['location']).query).get('error', [''])[0]


def test_pages_carry_a_nonce_policy_and_every_answer_nosniff(proxied):
    with httpx.Client(base_url=proxied, headers={'X-Forwarded-For': '198.51.100.1'}) as client:
        page = client.get('/login')
        policy = page.headers['content-security-policy']
        nonce = re.search(r"'nonce-([\w-]+)'", policy).group(1)
        for directive in ("frame-ancestors 'none'", "object-src 'none'", "base-uri 'self'", "form-action 'self'"):
            assert directive in policy
        assert "'unsafe-inline'" not in policy.split('script-src')[1].split(';')[0]
        tags = re.findall(r'<script\b[^>]*>', page.text)
        assert len(tags) > 3 and all(f'nonce="{nonce}"' in tag for tag in tags)
        assert nonce not in client.get('/login').headers['content-security-policy']  # fresh for every page
        api = client.get('/api/v1/credits')
        script = client.get(re.search(r'src="(/_nicegui/[^"]+nicegui\.js)"', page.text).group(1))
        for answer in (page, api, script):
            assert answer.headers['x-content-type-options'] == 'nosniff'
            assert answer.headers['referrer-policy'] == 'same-origin'
        assert api.status_code == 401 and "frame-ancestors 'none'" in api.headers['content-security-policy']
        cookie = page.headers['set-cookie'].lower()
        assert 'httponly' in cookie and 'samesite=lax' in cookie and 'secure' not in cookie  # loopback: plain http


def test_a_foreign_host_name_is_refused(direct):
    port = direct.rsplit(':', 1)[1]
    for path in ('/login', '/dashboard', '/api/v1/credits', '/_nicegui/3.18.0/static/nicegui.js'):
        answer = httpx.get(f'{direct}{path}', headers={'Host': f'rebind.attacker.example:{port}'})
        assert answer.status_code == 400, path
    assert answer.headers['x-content-type-options'] == 'nosniff'
    api = httpx.get(f'{direct}/api/v1/credits', headers={'Host': 'rebind.attacker.example'})
    assert api.json()['error']['code'] == 'invalid_host'
    for name in (f'localhost:{port}', f'127.0.0.1:{port}', 'dash.example.com', 'DASH.example.com:443'):
        assert httpx.get(f'{direct}/login', headers={'Host': name}).status_code == 200, name


def test_signing_out_ends_a_copied_cookie(proxied):
    headers = {'X-Forwarded-For': '198.51.100.2'}
    with httpx.Client(base_url=proxied, headers=headers) as owner, httpx.Client(base_url=proxied) as thief:
        assert sign_in(owner).headers['location'] == '/keys'
        thief.cookies.update(owner.cookies)  # the cookie, copied
        assert thief.get('/keys').status_code == 200
        assert owner.get('/logout').headers['location'] == '/dashboard'  # a link (another site's) signs no one out
        assert httpx.post(f'{proxied}/logout').status_code == 303  # nor a post without the cookie
        assert thief.get('/keys').status_code == 200
        assert owner.post('/logout').headers['location'] == '/login'
        stolen = thief.get('/keys')
        assert stolen.status_code == 303 and stolen.headers['location'] == '/login?next=/keys'
        assert sign_in(owner).status_code == 303 and owner.get('/keys').status_code == 200  # signing in again works
        assert thief.get('/keys').status_code == 303


def test_concurrent_wrong_guesses_are_checked_no_more_than_the_limit(proxied):
    def guess(n: int) -> str:
        with httpx.Client(base_url=proxied, timeout=60) as client:
            return error_of(sign_in(client, f'guess {n}', **{'X-Forwarded-For': '198.51.100.3'}))

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(guess, range(16)))
    assert answers.count(WRONG) == 5  # before: 16, every guess was checked
    assert sum(answer.startswith('Too many wrong passwords') for answer in answers) == 11


def test_forwarded_for_through_a_trusted_proxy_locks_out_only_the_real_client(proxied):
    with httpx.Client(base_url=proxied) as client:
        for n in range(5):  # an attacker writes its victim's address; the proxy appends the attacker's
            spoofed = {'X-Forwarded-For': '198.51.100.20, 203.0.113.66'}
            assert error_of(sign_in(client, f'guess {n}', **spoofed)) == WRONG
        assert error_of(sign_in(client, **{'X-Forwarded-For': '203.0.113.66'})).startswith('Too many')
    with httpx.Client(base_url=proxied) as victim:
        assert sign_in(victim, **{'X-Forwarded-For': '198.51.100.20'}).headers['location'] == '/keys'


def test_a_spoofed_forwarded_for_from_loopback_changes_nothing(direct):
    """Before, uvicorn believed X-Forwarded-For from any loopback peer: a new spoofed address per guess
    never got locked out, and a victim's address could be locked out by guesses naming it."""
    with httpx.Client(base_url=direct) as client:
        for n in range(5):
            assert error_of(sign_in(client, f'guess {n}', **{'X-Forwarded-For': f'198.51.100.{n}'})) == WRONG
        refused = error_of(sign_in(client, **{'X-Forwarded-For': '198.51.100.99'}))
        assert refused.startswith('Too many wrong passwords')


def test_short_passwords_are_refused_at_start(tmp_path):
    env = {**os.environ, 'LOWROUTER_DASHBOARD_PASSWORD': 'short-11chr', 'LOWROUTER_DATABASE_URL': 'sqlite:///x.db'}
    env.pop('NICEGUI_USER_SIMULATION', None)
    env.pop('PYTEST_CURRENT_TEST', None)
    done = subprocess.run(
        [sys.executable, str(ROOT / 'app.py'), '--port', '1'], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.decode().strip().splitlines() == [
        'lowrouter: LOWROUTER_DASHBOARD_PASSWORD is too short: use at least 12 characters.'
    ]
    assert not (tmp_path / 'x.db').exists()  # refused before touching anything


def test_hash_password_refuses_short_ones(monkeypatch, capsys):
    from cli import password

    monkeypatch.setattr('getpass.getpass', lambda prompt='': 'eleven char')
    assert password.hash_password_command([], None) == 2
    assert capsys.readouterr().out.strip() == 'Use at least 12 characters.'


def test_secure_cookies_when_asked(tmp_path_factory):
    env = {'LOWROUTER_DASHBOARD_PASSWORD': PASSWORD, 'LOWROUTER_COOKIE_SECURE': 'true'}
    with fresh_database(tmp_path_factory.mktemp('secure')) as url:
        server = serve(url, '--no-demo', env=env)
        base = next(server)
        try:
            cookie = httpx.get(f'{base}/login').headers['set-cookie'].lower()
            assert '; secure' in cookie and 'httponly' in cookie and 'samesite=lax' in cookie
        finally:
            server.close()
