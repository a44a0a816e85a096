from tests.browser.conftest import no_horizontal_overflow, screenshot


def test_dashboard_desktop(server, desktop):
    desktop.goto(f'{server}/dashboard')
    desktop.get_by_text('Recent transactions').wait_for()
    assert desktop.get_by_text('Demo data').is_visible()
    assert desktop.locator('.lr-transactions tbody tr').count() == 50
    screenshot(desktop, 'dashboard-desktop')


def test_dashboard_mobile(server, mobile):
    mobile.goto(f'{server}/dashboard')
    mobile.get_by_text('Recent transactions').wait_for()
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'dashboard-mobile')
    mobile.get_by_role('button', name='Menu').click()
    mobile.locator('.q-drawer').get_by_text('Settings', exact=True).wait_for(state='visible')
    screenshot(mobile, 'dashboard-mobile-menu')
