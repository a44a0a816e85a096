"""Real Chromium, desktop and phone: money in Recent transactions reads by one rule, every cost of the column
with the same decimals, so the decimal points line up under each other; Usage today's costs are in cents."""

from __future__ import annotations

import re

from tests.browser.conftest import mark_x, screenshot

POINT_X = mark_x('.')  # the x of each cell's decimal mark, measured on the rendered glyphs


def _decimals(texts: list[str]) -> set[int]:
    return {len(re.search(r'\.(\d+)', text).group(1)) for text in texts}


def test_the_cost_column_aligns_on_the_decimal_point_on_a_desktop(server, desktop):
    desktop.goto(f'{server}/dashboard')
    cells = desktop.locator('.lr-transactions tbody tr td:nth-child(6)')
    cells.first.wait_for()
    costs = cells.all_inner_texts()
    assert len(costs) == 50 and all(cost.startswith('$') for cost in costs)
    assert len(_decimals(costs)) == 1  # one number of decimals down the column
    points = desktop.evaluate(POINT_X, '.lr-transactions tbody tr td:nth-child(6)')
    assert None not in points and max(points) - min(points) < 0.5, points
    carbon = desktop.evaluate(POINT_X, '.lr-transactions tbody tr td:nth-child(7)')
    assert None not in carbon and max(carbon) - min(carbon) < 0.5, carbon
    usage_today = desktop.locator('.lr-usage-models .lr-usage-row > :last-child').all_inner_texts()
    assert usage_today and all(re.fullmatch(r'(< )?\$\d+\.\d\d', cost) for cost in usage_today), usage_today
    screenshot(desktop, 'dashboard-numbers-desktop', full_page=False)


def test_the_phone_list_shows_costs_with_one_number_of_decimals(server, mobile):
    mobile.goto(f'{server}/dashboard')
    costs = mobile.locator('.lr-transactions-phone .lr-phone-main > span')
    costs.first.wait_for()
    texts = costs.all_inner_texts()
    assert len(texts) == 50 and len(_decimals(texts)) == 1
    points = mobile.evaluate(POINT_X, '.lr-transactions-phone .lr-phone-main > span')
    assert max(points) - min(points) < 0.5, points  # right-aligned with the same decimals: the points align
    mobile.locator('.lr-transactions-phone').scroll_into_view_if_needed()
    screenshot(mobile, 'dashboard-numbers-mobile', full_page=False)
