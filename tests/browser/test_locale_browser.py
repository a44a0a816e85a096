"""Real Chromium, desktop and phone: the number format chosen in Settings → Profile reaches the dashboard. The
balance, costs and figures read with a decimal comma, and the cost column still lines up on its decimal mark."""

from __future__ import annotations

import re
from pathlib import Path

from tests.browser.conftest import mark_x, no_horizontal_overflow, screenshot

GERMAN = 'Deutsch (Deutschland)'
COMMA_X = mark_x(',')  # the x of each cell's decimal mark, measured on the rendered glyphs


def _choose_german(page, server: str) -> None:
    page.goto(f'{server}/settings')
    select = page.locator('.lr-locale-select')
    select.wait_for()
    select.click()
    page.keyboard.type('Deutschland')
    page.get_by_role('option', name=re.compile(re.escape(GERMAN))).click()
    page.keyboard.press('Escape')
    shown = select.locator('input').input_value()
    assert shown.startswith(GERMAN) and '1.234,56' in shown, shown
    page.get_by_role('button', name='Save profile').click()
    page.get_by_text('Profile saved').wait_for()


def test_german_numbers_on_the_dashboard_on_a_desktop(server, desktop):
    _choose_german(desktop, server)
    desktop.goto(f'{server}/dashboard')
    balance = desktop.locator('.lr-balance')
    balance.wait_for()
    assert re.fullmatch(r'-?[\d.]+,\d\d\s\$', balance.inner_text()), balance.inner_text()  # '1.234,56 $'
    spent = desktop.locator('.lr-spent-month').inner_text()
    assert re.match(r'[\d.]+,\d\d\s\$ spent in ', spent), spent
    cells = desktop.locator('.lr-transactions tbody tr td:nth-child(6)')
    cells.first.wait_for()
    costs = cells.all_inner_texts()
    assert len(costs) == 50 and all(re.fullmatch(r'\d+,\d+\s\$', cost) for cost in costs), costs[:3]
    points = desktop.evaluate(COMMA_X, '.lr-transactions tbody tr td:nth-child(6)')
    assert None not in points and max(points) - min(points) < 0.5, points
    tokens = desktop.locator('.lr-transactions tbody tr td:nth-child(5)').all_inner_texts()
    assert any('.' in t for t in tokens) and not any(',' in t for t in tokens)  # '12.345' grouped by dots
    screenshot(desktop, 'dashboard-german-desktop', full_page=False)
    _german_export_count(desktop, server)


def _german_export_count(page, server: str) -> None:
    """/logs: the export's progress counts rows with the account's grouping, the downloaded rows."""
    page.goto(f'{server}/logs?range=90d')
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role('button', name='Export CSV').click()
    progress = page.locator('#lr-export-progress')
    progress.get_by_text(re.compile(r'^Saved [\d.]+ rows$')).wait_for()
    lines = Path(info.value.path()).read_bytes().count(b'\r\n') - 1
    assert progress.locator('span').inner_text() == f'Saved {lines:,} rows'.replace(',', '.')


def test_german_numbers_on_a_phone(server, mobile):
    _choose_german(mobile, server)
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'settings-number-format-mobile', full_page=False)
    mobile.goto(f'{server}/dashboard')
    balance = mobile.locator('.lr-balance')
    balance.wait_for()
    assert re.fullmatch(r'-?[\d.]+,\d\d\s\$', balance.inner_text()), balance.inner_text()
    costs = mobile.locator('.lr-transactions-phone .lr-phone-main > span')
    costs.first.wait_for()
    texts = costs.all_inner_texts()
    assert len(texts) == 50 and all(re.fullmatch(r'\d+,\d+\s\$', t) for t in texts), texts[:3]
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'dashboard-german-mobile', full_page=False)
