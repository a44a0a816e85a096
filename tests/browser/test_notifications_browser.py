"""The bell and Settings → Notifications in Chromium, against the app with its background worker running."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from services import db
from tests.browser.conftest import SCREENSHOTS, fresh_database, no_horizontal_overflow, serve
from tests.support import factories
from tests.support.mailbox import Mailbox


@pytest.fixture(scope='module')
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def _seed(database_url: str) -> None:
    """An operator account with an address, a top-up, and usage last month and last week."""
    db.init_db(database_url)
    now = datetime.now(UTC)
    last_month = now.replace(day=1) - timedelta(days=10)
    days = (last_month, now - timedelta(days=now.weekday() + 3), now - timedelta(days=9))
    with db.session_scope() as session:
        account = factories.account(
            session=session, name='Northwind Ops', timezone='Europe/Berlin', email='ops@northwind.example'
        )
        factories.top_up(account, '50.00', session=session, method='bank_transfer', idempotency_key='seed')
        factories.generations(
            account,
            (
                {'model': model, 'prompt_tokens': 40_000 * (i + 1), 'completion_tokens': 9000, 'created_at': day}
                for i, day in enumerate(days)
                for model in ('openai/gpt-4o-mini', 'mistral/mistral-small')
            ),
            session=session,
        )
    db.dispose_all()


@pytest.fixture(scope='module')
def mailing_server(tmp_path_factory, mailbox):
    """The app on that account, with SMTP pointed at a loopback server."""
    env = {'LOWROUTER_SMTP_HOST': '127.0.0.1', 'LOWROUTER_SMTP_PORT': str(mailbox.port)}
    env |= {'LOWROUTER_SMTP_SECURITY': 'none', 'LOWROUTER_SMTP_FROM': 'lowrouter <billing@example.org>'}
    with fresh_database(tmp_path_factory.mktemp('mailing')) as database_url:
        _seed(database_url)
        yield from serve(database_url, '--no-demo', env=env)


def _shot(target, name: str) -> None:
    """A page's viewport (the menu floats over it) or one element."""
    SCREENSHOTS.mkdir(exist_ok=True)
    target.screenshot(path=str(SCREENSHOTS / f'{name}.png'))


def _wait(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, 'timed out'
        time.sleep(0.5)


def test_the_worker_issues_and_mails_last_months_invoice_and_the_bell_lists_it(mailing_server, mailbox, desktop):
    _wait(lambda: {m['Subject'].split()[0] for m in mailbox.messages} >= {'Invoice', 'Your'})
    invoice = next(m for m in mailbox.messages if m['Subject'].startswith('Invoice INV-'))
    assert invoice['To'] == 'ops@northwind.example'
    assert [a.get_content_type() for a in invoice.iter_attachments()] == ['application/pdf']
    desktop.goto(f'{mailing_server}/dashboard')
    badge = desktop.locator('.q-header .q-badge')
    badge.wait_for()
    count = int(badge.inner_text())
    assert count >= 1
    desktop.get_by_role('button', name='Notifications').click()
    menu = desktop.locator('.lr-bell-menu')
    menu.get_by_text(invoice['Subject']).wait_for()
    desktop.wait_for_timeout(400)  # the menu's transition
    _shot(desktop, 'bell-open')
    menu.get_by_role('button', name='Mark all read').click()
    badge.wait_for(state='hidden')
    desktop.reload()
    desktop.get_by_text('Recent transactions').wait_for()
    assert desktop.locator('.q-header .q-badge').is_hidden()


def test_settings_say_where_emails_go(mailing_server, desktop):
    desktop.goto(f'{mailing_server}/settings#notifications')
    section = desktop.locator('#notifications')
    section.get_by_text('E-mails go to ops@northwind.example').wait_for()
    section.scroll_into_view_if_needed()
    _shot(section, 'settings-notifications')


def test_settings_without_smtp_say_the_bell_only(server, desktop, mobile):
    desktop.goto(f'{server}/settings#notifications')
    section = desktop.locator('#notifications')
    section.get_by_text('E-mail is not configured: notifications appear in the bell only.').wait_for()
    assert section.get_by_role('switch', name='Weekly summary').is_checked()
    _shot(section, 'settings-notifications-off')
    mobile.goto(f'{server}/settings#notifications')
    mobile.locator('#notifications').get_by_text('Save notifications').wait_for()
    assert no_horizontal_overflow(mobile)
    _shot(mobile.locator('#notifications'), 'settings-notifications-mobile')


def test_the_bell_on_a_phone(server, mobile):
    mobile.goto(f'{server}/dashboard')
    mobile.get_by_text('Recent transactions').wait_for()
    mobile.get_by_role('button', name='Notifications').click()
    mobile.locator('.lr-bell-menu').get_by_text('Notification settings').wait_for()
    mobile.wait_for_timeout(400)
    assert no_horizontal_overflow(mobile)
    _shot(mobile, 'bell-mobile')
