import pytest


@pytest.fixture(autouse=True)
def _empty_app_database(database_url, monkeypatch):
    """Every UI test starts app.py on its own empty database, without the demo account."""
    monkeypatch.setenv('LOWROUTER_DEMO', 'false')
