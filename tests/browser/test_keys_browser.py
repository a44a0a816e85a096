from tests.browser.conftest import DESKTOP, no_horizontal_overflow, screenshot

DESKTOP_ONLY_NOTE = 'Bulk edits (several keys at once) are available on a wider screen.'


def test_keys_desktop_selecting_two_rows_shows_the_bulk_bar(server, desktop):
    desktop.goto(f'{server}/keys')
    rows = desktop.locator('.lr-keys tbody tr')
    rows.first.wait_for()
    assert rows.count() == 4  # the demo account's keys
    assert not desktop.get_by_text('2 selected').is_visible()
    assert not desktop.get_by_text(DESKTOP_ONLY_NOTE).is_visible()
    rows.nth(0).locator('.q-checkbox').click()
    rows.nth(1).locator('.q-checkbox').click()
    desktop.get_by_text('2 selected').wait_for()
    for action in ('Add scope', 'Remove scope', 'Set limit', 'Revoke', 'Clear selection'):
        assert desktop.locator('.lr-bulk-bar').get_by_role('button', name=action).is_visible(), action
    assert rows.nth(0).get_by_role('button', name='Rotate').is_visible()
    assert no_horizontal_overflow(desktop)
    screenshot(desktop, 'keys-desktop-bulk')
    desktop.locator('.lr-bulk-bar').get_by_role('button', name='Add scope').click()
    dialog = desktop.locator('.q-dialog')
    dialog.get_by_text('Add a scope to 2 keys').wait_for()
    dialog.get_by_role('button', name='Cancel').click()
    dialog.wait_for(state='detached')


def test_keys_mobile_has_cards_and_says_bulk_edits_are_desktop_only(server, mobile):
    mobile.goto(f'{server}/keys')
    mobile.get_by_text(DESKTOP_ONLY_NOTE).wait_for()
    assert not mobile.locator('.lr-keys').is_visible()
    assert mobile.get_by_role('button', name='Rotate').count() == 4
    assert no_horizontal_overflow(mobile)
    screenshot(mobile, 'keys-mobile')


def test_create_a_key_shows_its_secret_once(server, browser):
    context = browser.new_context(viewport=DESKTOP, permissions=['clipboard-read', 'clipboard-write'])
    page = context.new_page()
    page.goto(f'{server}/keys')
    page.locator('.lr-keys tbody tr').first.wait_for()
    page.get_by_role('button', name='Create key').click()
    dialog = page.locator('.q-dialog')
    dialog.get_by_label('Name').fill('browser-test')
    dialog.get_by_label('Monthly spend limit (optional)').fill('25.00')
    dialog.get_by_role('button', name='Create key').click()
    page.get_by_text('it will not be shown again').wait_for()
    secret = page.locator('.lr-secret-dialog .font-mono').inner_text().strip()
    assert secret.startswith('lr-') and len(secret) > 40
    dialog.get_by_role('button', name='Copy secret').click()
    page.get_by_text('Secret copied to the clipboard').wait_for()
    assert page.evaluate('navigator.clipboard.readText()') == secret
    screenshot(page, 'keys-secret-dialog')
    dialog.get_by_role('button', name='Done, I have saved it').click()
    dialog.wait_for(state='detached')
    row = page.locator('.lr-keys tbody tr', has_text='browser-test')
    row.wait_for()
    assert secret[:11] + '…' in row.inner_text()
    assert secret not in page.content()
    page.reload()
    page.locator('.lr-keys tbody tr', has_text='browser-test').wait_for()
    assert secret not in page.content()
    context.close()
