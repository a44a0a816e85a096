"""API tests: the real app (app.py) in-process over HTTP, authenticated with real keys."""

import httpx
import pytest
from nicegui.testing import User

from tests.support import factories


@pytest.fixture(autouse=True)
def _no_demo(database_url, monkeypatch):
    monkeypatch.setenv('LOWROUTER_DEMO', 'false')


@pytest.fixture
def api(user: User) -> httpx.AsyncClient:
    return user.http_client


@pytest.fixture
def account_id(user: User) -> int:
    return factories.account(name='API Co', timezone='Europe/Paris').id


@pytest.fixture
def make_key(account_id):
    def make(*scopes: str) -> dict[str, str]:
        return factories.bearer(factories.api_key(account_id, scopes=scopes))

    return make


from tests.browser.conftest import browser, desktop, mobile  # noqa: E402, F401 (real Chromium, for the router's pages)
