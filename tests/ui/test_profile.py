from datetime import UTC, datetime, timedelta

from nicegui import ui
from nicegui.testing import User

from services import db
from services.account.accounts import create_account, current_account
from services.billing.ledger import top_up
from services.money import format_money
from services.units import tokens_text
from services.usage.dashboard import usage_today
from services.usage.ingest import record_generation


def _set(user: User, label: str, value: str) -> None:
    element = next(e for e in user.find(label).elements if isinstance(e, ui.input | ui.select))
    element.set_value(value)


async def test_profile_saves_and_the_time_zone_moves_today(user: User):
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = create_account(session, name='Acme', timezone='Pacific/Kiritimati')  # UTC+14
        for hours_ago in range(30):  # one generation an hour; the two zones' midnights are 25 hours apart
            record_generation(
                session,
                account,
                {
                    'model': 'openai/gpt-4o',
                    'prompt_tokens': 1000 + hours_ago,
                    'completion_tokens': 10,
                    'created_at': now - timedelta(hours=hours_ago, minutes=1),
                },
            )
    before = await _usage_today_shown(user)
    await user.open('/settings')
    _set(user, 'Account name', 'Acme Robotics')
    _set(user, 'E-mail (receipts, invoices and alerts)', 'ops@acme.example')
    _set(user, 'Time zone', 'Pacific/Pago_Pago')  # UTC-11
    user.find('Save profile').click()
    await user.should_see('Profile saved')
    with db.session_scope() as session:
        account = current_account(session)
    assert (account.name, account.email, account.timezone) == ('Acme Robotics', 'ops@acme.example', 'Pacific/Pago_Pago')
    after = await _usage_today_shown(user)
    assert before != after


async def _usage_today_shown(user: User) -> str:
    """The tokens figure of Usage today, checked against the service for the account's current zone."""
    await user.open('/dashboard')
    with db.session_scope() as session:
        expected = tokens_text(usage_today(session, current_account(session)).tokens)
    await user.should_see(expected)
    return expected


async def test_invalid_email_and_a_currency_change_after_money_moved_are_refused(user: User):
    with db.session_scope() as session:
        account = create_account(session, name='Acme', currency='EUR')
        top_up(session, account, '20.00', method='manual', idempotency_key='t')
    await user.open('/settings')
    _set(user, 'E-mail (receipts, invoices and alerts)', 'not-an-address')
    user.find('Save profile').click()
    await user.should_see('Profile')
    email = next(e for e in user.find('E-mail (receipts, invoices and alerts)').elements if isinstance(e, ui.input))
    assert 'error' in email.props
    _set(user, 'E-mail (receipts, invoices and alerts)', 'ops@acme.example')
    _set(user, 'Currency', 'USD')
    user.find('Save profile').click()
    await user.should_see('stay in that currency')
    with db.session_scope() as session:
        account = current_account(session)
    assert (account.currency, account.email) == ('EUR', None)
    await user.open('/credits')
    await user.should_see(format_money(20_000_000, 'EUR'))


async def test_the_currency_can_change_before_any_money_moved(user: User):
    with db.session_scope() as session:
        create_account(session, name='Fresh')
    await user.open('/settings')
    _set(user, 'Currency', 'GBP')
    user.find('Save profile').click()
    await user.should_see('Profile saved')
    with db.session_scope() as session:
        assert current_account(session).currency == 'GBP'
    await user.open('/dashboard')
    await user.should_see('£0.00')
