"""API tests: the real app (app.py) in-process over HTTP, authenticated with real keys."""

import httpx
import pytest
from nicegui.testing import User

from services import db
from services.account.accounts import create_account
from services.keys.api_keys import create_key


@pytest.fixture(autouse=True)
def _no_demo(database_url, monkeypatch):
    monkeypatch.setenv('LOWROUTER_DEMO', 'false')


@pytest.fixture
def api(user: User) -> httpx.AsyncClient:
    return user.http_client


@pytest.fixture
def account_id(user: User) -> int:
    with db.session_scope() as session:
        return create_account(session, name='API Co', timezone='Europe/Paris').id


@pytest.fixture
def make_key(account_id):
    def make(*scopes: str) -> dict[str, str]:
        from services.models import Account

        with db.session_scope() as session:
            new = create_key(session, session.get(Account, account_id), name='test', scopes=list(scopes))
        return {'Authorization': f'Bearer {new.secret}'}

    return make


from tests.browser.conftest import browser, desktop, mobile  # noqa: E402, F401 (real Chromium, for the router's pages)
