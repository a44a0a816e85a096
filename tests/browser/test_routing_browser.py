import re

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


def test_routing_shows_each_provider_and_region_of_the_week(server, desktop):
    desktop.goto(f'{server}/routing')
    stats = desktop.locator('.lr-card', has_text='Providers, last 7 days')
    stats.locator('.lr-ctable').wait_for()
    header = stats.locator('th').all_inner_texts()
    assert header[:4] == ['Provider and region', 'Requests', 'Latency p50', 'Latency p95'], header
    rows = stats.locator('tbody tr')
    assert rows.count() == 8  # the busiest; the demo used more
    first = rows.first.locator('td').all_inner_texts()
    assert first[2].endswith(' ms') and first[3].endswith(' ms') and first[6].splitlines()[0].endswith(' %'), first
    assert no_horizontal_overflow(desktop)
    more = stats.get_by_role('button', name=re.compile(r'^Show \d+ more providers and regions$'))
    extra = int(more.inner_text().split()[1])
    more.click()
    stats.get_by_role('button', name='Show the busiest only').wait_for()
    assert rows.count() == 8 + extra


def test_routing_mobile_shows_the_providers_as_cards(server, mobile):
    mobile.goto(f'{server}/routing')
    stats = mobile.locator('.lr-card', has_text='Providers, last 7 days')
    stats.locator('.lr-ctable').wait_for()
    assert stats.locator('thead').is_hidden()  # one card per provider and region, each value beside its name
    first = stats.locator('tbody tr').first
    assert first.bounding_box()['width'] <= 390
    assert no_horizontal_overflow(mobile)
    stats.scroll_into_view_if_needed()
    mobile.screenshot(path=str(SCREENSHOTS / 'routing-stats-mobile.png'))


def test_routing_asks_before_saving_defaults_that_refuse_requests_and_cancel_saves_nothing(server, mobile):
    mobile.goto(f'{server}/routing')
    mobile.get_by_text('With your saved settings').wait_for()
    mobile.get_by_role('radio', name='Fixed provider').click()
    mobile.get_by_label('Provider to use').click()
    mobile.get_by_role('option', name='OpenAI API').click()
    mobile.get_by_role('button', name='Save', exact=True).click()
    dialog = mobile.locator('.q-dialog', has_text='Save settings that refuse requests?')
    dialog.wait_for()
    assert 'would have been refused' in dialog.inner_text()
    assert mobile.get_by_text(re.compile(r'^\d+ % of past requests \([\d,]+\) would be refused')).is_visible()
    assert no_horizontal_overflow(mobile)
    mobile.wait_for_timeout(400)  # the dialog's fade-in
    mobile.screenshot(path=str(SCREENSHOTS / 'routing-refusal-mobile.png'))
    dialog.get_by_role('button', name='Cancel').click()
    dialog.wait_for(state='detached')
    mobile.reload()
    mobile.get_by_text('With your saved settings').wait_for()
    assert mobile.get_by_role('radio', name=re.compile('^Cheapest')).is_checked()  # nothing was saved


def test_saving_a_key_override_says_so_and_updates_the_list(server, desktop):
    """Closing the dialog deleted the Save button, and the notice after it failed in the page: the list stayed stale."""
    desktop.goto(f'{server}/routing')
    desktop.get_by_text('With your saved settings').wait_for()
    row = desktop.locator('.lr-key-policy', has_text='production-web')
    assert row.get_by_text('inherits (Cheapest)').is_visible()
    row.get_by_role('button', name='Edit override').click()
    dialog = desktop.locator('.q-dialog')
    dialog.get_by_text('Routing override for “production-web”').wait_for()
    dialog.get_by_role('checkbox', name='inherit').first.click()  # the strategy's box
    dialog.get_by_role('radio', name='Lowest carbon').click()
    dialog.get_by_role('button', name='Save', exact=True).click()
    desktop.get_by_text('Saved the override for “production-web”').wait_for()
    dialog.wait_for(state='detached')
    row.get_by_text('Lowest carbon', exact=True).wait_for()
    assert row.get_by_text('1 setting overridden').is_visible()
