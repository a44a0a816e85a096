"""Dashboard login: throttling (per address, per account, under concurrency), sessions that end, safe targets."""

import threading

import pytest

from services.account import auth, login_throttle
from services.account.login_throttle import ACCOUNT_ATTEMPTS, ACCOUNT_WINDOW_S, LOCKOUT_S, MAX_FAILURES, client_address

PASSWORD = 'right-password-long'
WRONG = 'That password is not right.'


@pytest.fixture(autouse=True)
def _password(monkeypatch):
    monkeypatch.setenv('LOWROUTER_DASHBOARD_PASSWORD', PASSWORD)
    monkeypatch.delenv('LOWROUTER_DASHBOARD_PASSWORD_HASH', raising=False)
    auth.login_config.cache_clear()
    login_throttle.throttle.clear()
    auth.forget_epoch()
    yield
    auth.login_config.cache_clear()
    login_throttle.throttle.clear()
    auth.forget_epoch()


def test_wrong_passwords_lock_the_client_out_for_a_while():
    assert auth.login_config().enabled and auth.login_config().password_hash.startswith('$argon2')
    for i in range(MAX_FAILURES):
        assert auth.check_password('10.0.0.9', 'wrong', now=100.0 + i) == (False, WRONG)
    accepted, message = auth.check_password('10.0.0.9', PASSWORD, now=110.0)
    assert not accepted and message.startswith('Too many wrong passwords')  # locked even with the right password
    assert auth.check_password('10.0.0.10', PASSWORD, now=110.0) == (True, None)  # another client
    assert auth.check_password('10.0.0.9', PASSWORD, now=104.0 + LOCKOUT_S) == (True, None)


def test_concurrent_guesses_get_no_more_checks_than_the_limit():
    """Before: every concurrent guess passed the check before any failure was recorded (30 of 30 were checked)."""
    results: list[tuple[bool, str | None]] = []
    barrier = threading.Barrier(30)

    def guess(n: int) -> None:
        barrier.wait()
        results.append(auth.check_password('10.0.0.7', f'guess-{n}'))

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    checked = [message for _, message in results if message == WRONG]
    assert len(results) == 30 and len(checked) == MAX_FAILURES
    assert all(message.startswith('Too many') for _, message in results if message != WRONG)


def test_the_account_limit_caps_guesses_from_many_addresses_but_not_a_known_browser():
    for i in range(ACCOUNT_ATTEMPTS):
        assert auth.check_password(f'10.1.0.{i}', 'wrong', now=500.0) == (False, WRONG)
    accepted, message = auth.check_password('10.2.0.1', PASSWORD, now=501.0)  # a fresh address
    assert not accepted and message == 'Too many sign-in attempts on this dashboard. Try again in 60 s.'
    # the owner's browser, which signed in before, is not kept out by it
    assert auth.check_password('10.2.0.1', PASSWORD, known_device=True, now=501.0) == (True, None)
    # and it is a rate, not a lockout: once the window has passed, a new browser may try again
    assert auth.check_password('10.2.0.2', PASSWORD, now=500.0 + ACCOUNT_WINDOW_S + 1) == (True, None)


def test_a_right_password_gives_its_attempt_back():
    for i in range(ACCOUNT_ATTEMPTS * 2):
        assert auth.check_password(f'10.3.0.{i}', PASSWORD, now=700.0 + i / 100) == (True, None)


def test_forwarded_for_is_believed_only_from_a_trusted_proxy():
    proxies = (login_throttle.ipaddress.ip_network('10.0.0.0/8'),)
    assert client_address('203.0.113.9', '198.51.100.1', ()) == '203.0.113.9'  # no proxy configured
    assert client_address('203.0.113.9', '198.51.100.1', proxies) == '203.0.113.9'  # peer is not a proxy
    # through the proxy: the right-most address the proxy did not add itself; what the client wrote is ignored
    assert client_address('10.0.0.2', '198.51.100.1, 203.0.113.9', proxies) == '203.0.113.9'
    assert client_address('10.0.0.2', '198.51.100.1, 203.0.113.9, 10.0.0.3', proxies) == '203.0.113.9'
    assert client_address('10.0.0.2', 'not-an-address', proxies) == '10.0.0.2'
    assert client_address('10.0.0.2', None, proxies) == '10.0.0.2'


@pytest.mark.parametrize(
    'target',
    [
        '//evil.example/x',
        '/\\evil.example',
        'https://evil.example',
        'javascript:alert(1)',
        'dashboard',
        '/dash\nboard',
        '/dash\tboard',
        '/a b',
        '',
        None,
    ],
)
def test_only_local_paths_are_followed_after_signing_in(target):
    assert auth.local_path(target) == '/dashboard'


def test_local_paths_are_kept():
    assert auth.local_path('/keys') == '/keys'
    assert auth.local_path('/dashboard?model=openai%2Fgpt-4o&key=3') == '/dashboard?model=openai%2Fgpt-4o&key=3'


def test_signing_out_ends_every_session(engine):
    first, second = {}, {}
    auth.start_session(first)
    auth.start_session(second)
    assert auth.session_is_valid(first) and auth.session_is_valid(second)
    copied = dict(first)
    auth.end_every_session()
    assert not auth.session_is_valid(first) and not auth.session_is_valid(second) and not auth.session_is_valid(copied)
    auth.start_session(first)
    assert auth.session_is_valid(first)


def test_another_process_sees_a_sign_out_through_the_database(engine):
    session = {}
    auth.start_session(session)
    auth.forget_epoch()  # as another process would: nothing cached
    assert auth.session_is_valid(session)
    epoch_here = auth.current_epoch()
    auth.end_every_session()
    auth.forget_epoch()
    assert auth.current_epoch() != epoch_here and not auth.session_is_valid(session)


def test_a_changed_password_ends_every_session(engine, monkeypatch):
    session = {}
    auth.start_session(session)
    monkeypatch.setenv('LOWROUTER_DASHBOARD_PASSWORD', 'another-password-entirely')
    auth.login_config.cache_clear()
    assert not auth.session_is_valid(session)


def test_expired_or_forged_sessions_are_refused(engine):
    session = {}
    auth.start_session(session, now=1000.0)
    assert auth.session_is_valid(session, now=1001.0)
    assert not auth.session_is_valid(session, now=1000.0 + auth.SESSION_HOURS * 3600 + 1)
    assert not auth.session_is_valid({auth.SESSION_KEY: 9e18})  # an expiry alone (the old session) is not enough
    assert not auth.session_is_valid({auth.SESSION_KEY: 'x', auth.TOKEN_KEY: 'y'})


def test_short_passwords_are_refused(monkeypatch):
    monkeypatch.setenv('LOWROUTER_DASHBOARD_PASSWORD', 'eleven-char')
    assert auth.password_problem() == 'LOWROUTER_DASHBOARD_PASSWORD is too short: use at least 12 characters.'
    monkeypatch.setenv('LOWROUTER_DASHBOARD_PASSWORD', 'twelve-chars')
    assert auth.password_problem() is None


def test_the_storage_secret_is_made_once_and_shared(session, monkeypatch):
    monkeypatch.delenv('LOWROUTER_STORAGE_SECRET', raising=False)
    first = auth.storage_secret(session)
    assert len(first) > 40 and auth.storage_secret(session) == first
