import io
import zipfile

import pytest

from tests.browser.conftest import DESKTOP, SCREENSHOTS, fresh_database, no_horizontal_overflow, screenshot, serve

CONFIRM = 'Type the account name to confirm'


def _open_section(page, server: str):
    page.goto(f'{server}/settings#delete-account')
    section = page.locator('#delete-account')
    section.get_by_role('button', name='Download full export (ZIP)').wait_for()
    section.scroll_into_view_if_needed()
    return section


@pytest.mark.parametrize('device', ['desktop', 'mobile'])
def test_delete_account_section_and_a_wrong_name(server, device, request):
    page = request.getfixturevalue(device)
    section = _open_section(page, server)
    assert section.get_by_text('This cannot be undone').is_visible()
    section.get_by_label(CONFIRM).fill('Northwind')
    section.get_by_role('button', name='Delete account').click()
    section.get_by_text('That is not the account name').wait_for()
    assert page.locator('.q-dialog').count() == 0
    assert no_horizontal_overflow(page)
    page.wait_for_timeout(600)  # let the button's click ripple fade
    SCREENSHOTS.mkdir(exist_ok=True)
    section.screenshot(path=str(SCREENSHOTS / f'settings-delete-section-{device}.png'))
    page.evaluate('window.scrollTo(0, 0)')  # a full-page shot of a scrolled page draws the fixed header mid-way
    screenshot(page, f'settings-delete-{device}')


def test_export_downloads_a_zip_and_the_dialog_can_be_cancelled(server, desktop):
    section = _open_section(desktop, server)
    with desktop.expect_download(timeout=120_000) as info:
        section.get_by_role('button', name='Download full export (ZIP)').click()
    download = info.value
    assert download.suggested_filename.startswith('lowrouter-export-demo-northwind-robotics-')
    archive = zipfile.ZipFile(io.BytesIO(open(download.path(), 'rb').read()))  # noqa: SIM115
    assert archive.testzip() is None and 'generations.csv' in archive.namelist()
    section.get_by_label(CONFIRM).fill('Demo: Northwind Robotics')
    section.get_by_role('button', name='Delete account').click()
    dialog = desktop.locator('.q-dialog')
    dialog.get_by_text('for good?').wait_for()
    desktop.wait_for_timeout(600)  # the dialog's fade-in
    desktop.screenshot(path=str(SCREENSHOTS / 'settings-delete-dialog.png'))  # the viewport, where the dialog is
    dialog.get_by_role('button', name='Keep the account').click()
    dialog.wait_for(state='detached')
    desktop.goto(f'{server}/dashboard')
    desktop.get_by_text('Credit balance').wait_for()  # still there


@pytest.fixture(scope='module')
def own_server(tmp_path_factory):
    """An app of its own, without the demo: this module's other tests keep theirs."""
    with fresh_database(tmp_path_factory.mktemp('deletion')) as database_url:
        yield from serve(database_url, '--no-demo')


def test_deleting_the_account_ends_at_onboarding(own_server, browser):
    page = browser.new_context(viewport=DESKTOP).new_page()
    page.goto(f'{own_server}/welcome')
    page.get_by_label('Account name').fill('Browser Test Co')
    page.get_by_role('button', name='Create account').click()
    page.wait_for_url('**/dashboard')
    section = _open_section(page, own_server)
    section.get_by_label(CONFIRM).fill('Browser Test Co')
    section.get_by_role('button', name='Delete account').click()
    page.locator('.q-dialog').get_by_role('button', name='Delete everything').click()
    page.wait_for_url('**/welcome')
    page.get_by_text('Welcome to lowrouter').wait_for()
    page.goto(f'{own_server}/settings')
    page.get_by_text('Welcome to lowrouter').wait_for()  # no account any more: onboarding again
    page.context.close()
