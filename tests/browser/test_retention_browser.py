"""Data retention in Chromium: set it in Settings, prune from the command line, open a pruned generation."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text

from tests.browser.conftest import MOBILE, ROOT, SCREENSHOTS, fresh_database, no_horizontal_overflow, screenshot, serve


@pytest.fixture(scope='module')
def demo_app(tmp_path_factory):
    """The app with its 90-day demo account; yields (database URL, base URL) so the test can prune it."""
    with fresh_database(tmp_path_factory.mktemp('retention')) as url:
        for base in serve(url):
            yield url, base


def test_set_retention_prune_and_open_a_pruned_generation(demo_app, desktop, browser):
    url, server = demo_app
    balance = _balance(desktop, server)
    desktop.goto(f'{server}/settings#retention')
    section = desktop.locator('#retention')
    section.get_by_text('Delete generations older than a number of days').click()
    section.get_by_label('Days to keep').fill('30')
    section.get_by_role('button', name='Save retention').click()
    dialog = desktop.locator('.q-dialog')
    dialog.get_by_text('Their records cannot be brought back').wait_for()
    desktop.wait_for_timeout(600)  # the dialog's fade-in
    SCREENSHOTS.mkdir(exist_ok=True)
    desktop.screenshot(path=str(SCREENSHOTS / 'retention-confirm-desktop.png'))
    dialog.get_by_role('button', name='Keep 30 days').click()
    desktop.get_by_text('Data retention saved: 30 days').wait_for()

    oldest = _oldest_generation(url)
    result = subprocess.run(
        [sys.executable, 'app.py', 'prune', '--db', url], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert 'keeps 30 days; deleted ' in result.stdout and 'deleted 0 ' not in result.stdout
    assert _oldest_generation(url) != oldest

    assert _balance(desktop, server) == balance  # pruning leaves every total alone
    phone = browser.new_context(viewport=MOBILE, is_mobile=True, has_touch=True, device_scale_factor=2)
    for name, page in (('desktop', desktop), ('mobile', phone.new_page())):
        page.goto(f'{server}/transactions/{oldest}')
        page.get_by_text('Deleted under your data-retention setting').wait_for()
        assert page.get_by_text('This account keeps generations for 30 days').is_visible()
        assert page.get_by_role('button', name='Data retention settings').is_visible()
        assert no_horizontal_overflow(page)
        screenshot(page, f'retention-pruned-{name}')
        page.goto(f'{server}/settings#retention')
        card = page.locator('#retention')
        card.get_by_text('Pruning last ran on').wait_for()
        card.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        card.screenshot(path=str(SCREENSHOTS / f'retention-settings-{name}.png'))
        assert no_horizontal_overflow(page)
    phone.close()


def _balance(page, server: str) -> str:
    page.goto(f'{server}/dashboard')
    balance = page.locator('.lr-balance')
    balance.wait_for()
    return balance.inner_text()


def _oldest_generation(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text('SELECT id FROM generation ORDER BY created_at, id LIMIT 1')).scalar_one()
    finally:
        engine.dispose()
