"""With a dashboard password, every page asks for it; the API keeps using keys."""

import httpx
import pytest

from tests.browser.conftest import screenshot, serve
from tests.conftest import fresh_database

PASSWORD = 'correct horse battery staple'


@pytest.fixture(scope='module')
def guarded(tmp_path_factory):
    with fresh_database(tmp_path_factory.mktemp('login')) as url:
        yield from serve(url, env={'LOWROUTER_DASHBOARD_PASSWORD': PASSWORD})


def test_every_page_redirects_to_login_and_only_the_right_password_lets_in(guarded, desktop):
    for path in ('/dashboard', '/keys', '/settings', '/transactions/gen-x'):
        response = httpx.get(f'{guarded}{path}', follow_redirects=False)
        assert response.status_code == 303 and response.headers['location'].startswith('/login')
    assert httpx.get(f'{guarded}/api/v1/credits').status_code == 401  # the API answers with its own rule
    desktop.goto(f'{guarded}/keys')
    desktop.wait_for_url('**/login?next=/keys')
    desktop.get_by_label('Password').fill('wrong password')
    desktop.get_by_role('button', name='Sign in').click()
    desktop.get_by_text('That password is not right.').wait_for()
    screenshot(desktop, 'login-refused')
    desktop.get_by_label('Password').fill(PASSWORD)
    desktop.get_by_role('button', name='Sign in').click()
    desktop.wait_for_url('**/keys')
    desktop.get_by_text('API keys').first.wait_for()
    desktop.goto(f'{guarded}/logout')  # a link does not sign out
    desktop.wait_for_url('**/dashboard')
    desktop.get_by_role('button', name='Sign out').click()
    desktop.wait_for_url('**/login')
    desktop.goto(f'{guarded}/dashboard')
    desktop.wait_for_url('**/login?next=/dashboard')


def test_login_on_a_phone(guarded, mobile):
    mobile.goto(f'{guarded}/dashboard')
    mobile.get_by_role('button', name='Sign in').wait_for()
    screenshot(mobile, 'login-mobile')
