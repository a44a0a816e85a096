from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from services import db
from services.models import Account, Notification
from services.notifications.queue import unread_count
from tests.support import factories

# The bell tests turn the low-balance alert off: the app's background round would otherwise add one to the
# empty account at any moment, between a test's steps.
QUIET = {'low_balance_threshold_micros': 0}


def _queue(account: Account, n: int) -> None:
    with db.session_scope() as session:
        for i in range(n):
            factories.notification(
                account,
                session=session,
                kind='key_limit',
                title=f'Key "app-{i}" reached 80 % of its monthly limit',
                body=f'$8.00 of its $10.00 limit spent ({i}).',
                link='/keys',
                dedupe_key=f'test:{i}',
            )
        session.flush()
        for row in session.exec(select(Notification)):  # a known time: 2026-03-04 01:30 UTC
            row.created_at = datetime(2026, 3, 4, 1, 30, tzinfo=UTC) + timedelta(minutes=row.id)


def _stored(account_id: int) -> Account:
    with db.session_scope() as session:
        return session.get(Account, account_id)


def _unread(account_id: int) -> int:
    with db.session_scope() as session:
        return unread_count(session, account_id)


def _badge(user: User) -> ui.badge:
    return user.find(marker='bell-count').elements.pop()


async def test_the_bell_counts_unread_notifications_and_mark_all_read_clears_them(user: User):
    account = factories.account(timezone='Asia/Tokyo', **QUIET)
    _queue(account, 3)
    await user.open('/dashboard')
    assert _badge(user).text == '3' and _badge(user).visible
    user.find(marker='bell').click()
    await user.should_see('Notifications')
    await user.should_see('Key "app-2" reached 80 % of its monthly limit')
    await user.should_see('$8.00 of its $10.00 limit spent (0).')
    await user.should_see('2026-03-04 10:31')  # stored in UTC, shown in the account's zone (Tokyo, +9)
    user.find('Mark all read').click()
    await user.should_not_see(marker='bell-count', retries=60)  # the badge hides at 0 (the write runs in a thread)
    assert _unread(account.id) == 0
    assert 'disable' in user.find(marker='bell-mark-all-read').elements.pop().props
    await user.open('/dashboard')
    await user.should_not_see(marker='bell-count')


async def test_a_notification_opens_its_link_and_is_then_read(user: User):
    account = factories.account(timezone='Asia/Tokyo', **QUIET)
    _queue(account, 2)
    await user.open('/dashboard')
    with db.session_scope() as session:
        first = session.exec(select(Notification).order_by(Notification.id)).first()
    user.find(marker=f'bell-item-{first.id}').click()
    await user.should_see('API keys')
    assert user.back_history[-1] == '/keys'
    assert _unread(account.id) == 1 and _badge(user).text == '1'


async def test_the_bell_says_when_there_is_nothing_yet(user: User):
    factories.account(timezone='Asia/Tokyo', **QUIET)
    await user.open('/dashboard')
    await user.should_not_see(marker='bell-count')
    await user.should_see('Nothing yet.', marker=None)


async def test_the_settings_section_saves_preferences_and_says_email_is_not_configured(user: User):
    account = factories.account(timezone='Asia/Tokyo')
    await user.open('/settings')
    await user.should_see('E-mail is not configured: notifications appear in the bell only.')
    await user.should_see('LOWROUTER_SMTP_HOST')
    assert user.find(marker='low-balance-threshold').elements.pop().value == '5.00'
    user.find(marker='pref-weekly_summary').click()
    user.find(marker='pref-invoice_email').click()
    user.find(marker='low-balance-threshold').clear().type('12.50')
    user.find(marker='save-notifications').click()
    await user.should_see('Notification settings saved')
    stored = _stored(account.id)
    assert stored.low_balance_threshold_micros == 12_500_000
    assert stored.notification_prefs == {
        'low_balance': True,
        'receipts_email': True,
        'invoice_email': False,
        'weekly_summary': False,
        'key_limit_alerts': True,
    }
    await user.open('/settings')
    assert user.find(marker='low-balance-threshold').elements.pop().value == '12.50'
    assert user.find(marker='pref-weekly_summary').elements.pop().value is False


async def test_an_invalid_threshold_shows_a_field_error_and_saves_nothing(user: User):
    account = factories.account(timezone='Asia/Tokyo')
    await user.open('/settings')
    threshold = user.find(marker='low-balance-threshold')
    field = next(iter(threshold.elements))
    user.find(marker='pref-key_limit_alerts').click()
    for bad, message in (
        ('-1', 'The threshold is 0 or more'),
        ('abc', 'Give an amount such as 5.00'),
        ('1.234', 'USD amounts have at most 2 decimals'),
    ):
        threshold.clear().type(bad)
        user.find(marker='save-notifications').click()
        await user.should_see(message)
        assert field.props['error'] is True
    stored = _stored(account.id)
    assert (stored.low_balance_threshold_micros, stored.notification_prefs) == (5_000_000, {})
    threshold.clear().type('0')
    user.find(marker='save-notifications').click()
    await user.should_see('Notification settings saved')
    assert not field.props.get('error')
    assert _stored(account.id).low_balance_threshold_micros == 0


async def test_the_settings_section_says_where_emails_go(user: User, monkeypatch):
    monkeypatch.setenv('LOWROUTER_SMTP_HOST', 'smtp.example.org')
    account = factories.account(timezone='Asia/Tokyo')
    await user.open('/settings')
    await user.should_see('this account has no e-mail address: add one in Profile')
    with db.session_scope() as session:
        session.get(Account, account.id).email = 'ops@example.com'
    await user.open('/settings')
    await user.should_see('E-mails go to ops@example.com (sent through smtp.example.org)')
