from tests.browser.conftest import SCREENSHOTS, no_horizontal_overflow, screenshot

UNSAVED = 'With the settings in the form, not saved yet'


def _preview_lowest_carbon(page, server: str) -> None:
    """Open /routing, pick the lowest-carbon strategy without saving, and preview it."""
    page.goto(f'{server}/routing')
    page.get_by_text('With your saved settings').wait_for()
    page.get_by_role('radio', name='Lowest carbon').click()
    page.get_by_text('The form has changed since this preview').wait_for()
    page.get_by_role('button', name='Preview', exact=True).click()
    page.get_by_text(UNSAVED).wait_for()
    page.locator('.lr-whatif-chart .main-svg').first.wait_for()


def _carbon_change(scope) -> str:
    return scope.locator('.lr-metric', has_text='Carbon').locator('.lr-change').inner_text().strip()


def test_routing_desktop_previews_an_unsaved_strategy(server, desktop):
    _preview_lowest_carbon(desktop, server)
    assert _carbon_change(desktop).startswith('−')  # the demo runs mostly on the cheapest offers: carbon drops
    assert desktop.get_by_text('Largest moves').is_visible()
    assert desktop.get_by_text('An estimate: each past request is routed again').is_visible()
    for key in ('production-web', 'eu-support-bot', 'batch-summaries', 'research-notebook'):
        assert desktop.get_by_text(key, exact=True).is_visible(), key
    assert desktop.get_by_text('Europe (Ireland)', exact=True).is_visible()  # eu-support-bot's own region
    assert desktop.locator('.modebar').count() == 0
    assert no_horizontal_overflow(desktop)
    desktop.evaluate('window.scrollTo(0, 0)')
    screenshot(desktop, 'routing-desktop')


def test_routing_mobile_previews_without_horizontal_overflow(server, mobile):
    _preview_lowest_carbon(mobile, server)
    mobile.wait_for_function('window.scrollY > 0')  # the preview sits below the form: the page brings it into view
    assert _carbon_change(mobile).startswith('−')
    assert mobile.locator('.lr-whatif-chart').is_visible()
    assert no_horizontal_overflow(mobile)
    mobile.evaluate('window.scrollTo(0, 0)')
    mobile.wait_for_timeout(300)  # the smooth scroll
    screenshot(mobile, 'routing-mobile')


def test_routing_override_dialog_previews_a_draft_and_saves_nothing(server, mobile):
    mobile.goto(f'{server}/routing')
    mobile.get_by_text('With your saved settings').wait_for()
    row = mobile.locator('.lr-key-policy', has_text='eu-support-bot')
    row.get_by_role('button', name='Edit override').click()
    dialog = mobile.locator('.q-dialog')
    dialog.get_by_text('Routing override for “eu-support-bot”').wait_for()
    assert dialog.get_by_role('radio', name='Prefer a region').is_checked()  # the key's own strategy
    dialog.get_by_role('radio', name='Lowest carbon').click()
    dialog.get_by_role('button', name='Preview', exact=True).click()
    dialog.get_by_text('with this draft for eu-support-bot').wait_for()
    assert _carbon_change(dialog).startswith('−')
    assert no_horizontal_overflow(mobile)
    mobile.wait_for_timeout(400)  # the dialog's fade-in
    mobile.screenshot(path=str(SCREENSHOTS / 'routing-override-mobile.png'))  # the viewport: the dialog is fixed
    dialog.get_by_role('button', name='Cancel').click()
    dialog.wait_for(state='detached')
