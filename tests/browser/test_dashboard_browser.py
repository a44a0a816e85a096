from tests.browser.conftest import no_horizontal_overflow, screenshot

TITLES = ('Credit balance', 'Usage today', 'Top models (last 30 days)', 'Eco impact')


def test_dashboard_desktop_has_the_four_widgets_above_the_fold(server, desktop):
    desktop.goto(f'{server}/dashboard')
    desktop.get_by_text('Recent transactions').wait_for()
    desktop.locator('.lr-top-models .main-svg').first.wait_for()
    assert desktop.get_by_text('Demo data').is_visible()
    for title in TITLES:
        box = desktop.get_by_text(title, exact=True).bounding_box()
        assert box is not None and box['y'] + box['height'] < 800, title
    chart_box = desktop.locator('.lr-top-models').bounding_box()
    assert chart_box['y'] + chart_box['height'] <= 800
    assert desktop.locator('.lr-transactions tbody tr').count() == 50
    desktop.screenshot(path=str(screenshot(desktop, 'dashboard-desktop').with_name('dashboard-desktop-fold.png')))


def test_dashboard_mobile_stacks_and_has_a_hamburger(server, mobile):
    mobile.goto(f'{server}/dashboard')
    mobile.get_by_text('Recent transactions').wait_for()
    mobile.locator('.lr-top-models .main-svg').first.wait_for()
    assert no_horizontal_overflow(mobile)
    lefts = {round(mobile.get_by_text(t, exact=True).bounding_box()['x']) for t in TITLES}
    assert len(lefts) == 1  # one column
    assert mobile.locator('.lr-transactions-phone a').count() == 50
    screenshot(mobile, 'dashboard-mobile')
    assert not mobile.locator('.q-header').get_by_text('Settings', exact=True).is_visible()
    mobile.get_by_role('button', name='Menu').click()
    mobile.locator('.q-drawer').get_by_text('Settings', exact=True).wait_for(state='visible')
    mobile.screenshot(path=str(screenshot(mobile, 'dashboard-mobile-menu')))
    mobile.locator('.q-drawer').get_by_text('Credits', exact=True).click()
    mobile.wait_for_url('**/credits')


def test_filter_by_model_follows_the_url(server, desktop):
    desktop.goto(f'{server}/dashboard')
    row = desktop.locator('.lr-usage-models a').first
    model = row.get_attribute('href').split('model=')[1]
    row.click()
    desktop.wait_for_url(f'**/dashboard?model={model}')
    desktop.get_by_text('Showing only').wait_for()
    desktop.reload()
    desktop.get_by_text('Showing only').wait_for()
    desktop.go_back()
    desktop.wait_for_url('**/dashboard')


def test_transaction_detail_and_copy_button(server, browser):
    context = browser.new_context(
        viewport={'width': 1280, 'height': 800}, permissions=['clipboard-read', 'clipboard-write']
    )
    page = context.new_page()
    page.goto(f'{server}/dashboard')
    page.locator('.lr-transactions tbody tr').nth(3).click()
    page.wait_for_url('**/transactions/gen-*')
    generation_id = page.url.rsplit('/', 1)[1]
    page.get_by_text('Routing trace').wait_for()
    page.get_by_role('button', name='Copy generation id').click()
    page.get_by_text('Generation id copied').wait_for()
    assert page.evaluate('navigator.clipboard.readText()') == generation_id
    screenshot(page, 'transaction-desktop')
    context.close()


def test_transaction_detail_mobile(server, mobile):
    mobile.goto(f'{server}/dashboard')
    mobile.locator('.lr-transactions-phone a').first.click()
    mobile.wait_for_url('**/transactions/gen-*')
    mobile.get_by_text('Routing trace').wait_for()
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'transaction-mobile')
