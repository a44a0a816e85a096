"""Eco figures in a real browser, desktop and phone: a generation's energy and carbon split, the eco-baseline
table, and the dashboard's carbon column. Nothing clipped, nothing hidden without its figures shown elsewhere."""

import re

from tests.browser.conftest import no_horizontal_overflow, screenshot

CLIPPED = """els => els.filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent)"""


def _first_generation(page, server: str) -> str:
    page.goto(f'{server}/dashboard')
    link = page.locator('.lr-transactions-phone a').first
    link.wait_for(state='attached')
    return link.get_attribute('href')


def test_transaction_eco_split_desktop(server, desktop):
    desktop.goto(f'{server}{_first_generation(desktop, server)}')
    card = desktop.locator('.q-card', has_text='Energy and carbon')
    card.get_by_text('Manufacturing (embodied)').wait_for()
    for text in ('Prompt tokens (', 'Output tokens (', 'Electricity', 'Grid intensity', 'PUE (datacentre overhead)'):
        assert card.get_by_text(text).first.is_visible(), text
    assert card.get_by_role('link', name=re.compile('^eco-2 ')).get_attribute('href') == '/eco/methodology'
    assert no_horizontal_overflow(desktop)
    assert card.locator('.q-label, a').evaluate_all(CLIPPED) == []
    screenshot(desktop, 'transaction-eco-desktop')


def test_transaction_eco_split_mobile(server, mobile):
    mobile.goto(f'{server}{_first_generation(mobile, server)}')
    card = mobile.locator('.q-card', has_text='Energy and carbon')
    card.get_by_text('Manufacturing (embodied)').wait_for()
    assert no_horizontal_overflow(mobile)
    assert card.locator('.q-label, a').evaluate_all(CLIPPED) == []
    boxes = [card.get_by_text(t, exact=True).first.bounding_box() for t in ('Energy', 'Carbon', 'Computed with')]
    assert len({round(b['x']) for b in boxes}) == 1  # stacked in one column on a phone
    screenshot(mobile, 'transaction-eco-mobile')


def test_eco_baseline_desktop_table(server, desktop):
    desktop.goto(f'{server}/settings#eco-baseline')
    section = desktop.locator('#eco-baseline')
    table = section.locator('table')
    table.locator('tbody tr').first.wait_for()
    headings = table.locator('thead th').all_inner_texts()
    assert headings == ['Model', 'Vendor', 'Central (Wh)', 'Range (Wh)', 'Active parameters', 'Size']
    assert not section.locator('.lr-baseline-list').is_visible()
    assert no_horizontal_overflow(desktop)
    assert table.locator('td').evaluate_all(CLIPPED) == []
    section.screenshot(path=str(screenshot(desktop, 'settings-baseline-desktop')))


def test_eco_baseline_phone_list_shows_every_figure(server, mobile):
    mobile.goto(f'{server}/settings#eco-baseline')
    section = mobile.locator('#eco-baseline')
    items = section.locator('.lr-baseline-item')
    items.first.wait_for()
    assert not section.locator('table').is_visible()  # replaced by the list, not clipped
    assert no_horizontal_overflow(mobile)
    first = items.first.inner_text()
    assert re.search(r'\d Wh', first) and re.search(r'range [\d.]+–[\d.]+ Wh', first) and ' size' in first
    assert items.locator('b, span, small').evaluate_all(CLIPPED) == []
    picker = section.locator('.q-select')
    assert picker.bounding_box()['x'] + picker.bounding_box()['width'] <= 390
    section.screenshot(path=str(screenshot(mobile, 'settings-baseline-mobile')))


def test_dashboard_carbon_column_names_its_one_unit(server, desktop):
    desktop.goto(f'{server}/dashboard')
    table = desktop.locator('.lr-transactions')
    table.locator('tbody tr').first.wait_for()
    heading = table.locator('thead th').last.inner_text()
    unit = re.fullmatch(r'Carbon \((mg|g|kg) CO2e\)', heading)
    assert unit, heading
    cells = table.locator('tbody tr td:last-child').all_inner_texts()
    assert cells and all(re.fullmatch(r'[\d,]+(\.\d+)?', c) for c in cells)  # numbers only: the unit is above
    screenshot(desktop, 'dashboard-transactions-desktop')


def test_dashboard_phone_list_shows_one_carbon_unit(server, mobile):
    mobile.goto(f'{server}/dashboard')
    rows = mobile.locator('.lr-transactions-phone a')
    rows.first.wait_for()
    units = {re.search(r'tok · [\d,.]+ ((?:mg|g|kg) CO2e)\n', text).group(1) for text in rows.all_inner_texts()}
    assert len(units) == 1
    assert no_horizontal_overflow(mobile)
    assert rows.locator('span, b').evaluate_all(CLIPPED) == []  # provider and region are no longer cut off
    screenshot(mobile, 'dashboard-transactions-mobile')
