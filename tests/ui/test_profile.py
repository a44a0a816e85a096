import asyncio
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


async def test_the_number_format_saves_and_every_figure_on_the_dashboard_follows_it(user: User):
    """Settings → Profile → Number format: stored as the account's locale, and the dashboard's balance, month,
    tokens and request count read in it (equal to the database's figures in that locale)."""
    from components.widgets import credit_view
    from services.billing.ledger import credit_balance
    from services.units import count_text

    with db.session_scope() as session:
        account = create_account(session, name='Acme', timezone='UTC')
        top_up(session, account, '1234.56', method='manual', idempotency_key='t')
        for _ in range(3):
            record_generation(
                session, account, {'model': 'openai/gpt-4o', 'prompt_tokens': 4_000, 'completion_tokens': 900}
            )
    await user.open('/settings')
    _set(user, 'Number format', 'de_DE')
    user.find('Save profile').click()
    await user.should_see('Profile saved')
    with db.session_scope() as session:
        account = current_account(session)
        balance = credit_balance(session, account)
        today = usage_today(session, account)
    assert account.locale == 'de_DE'
    await user.open('/dashboard')
    shown = format_money(balance, 'USD', locale='de_DE')
    assert shown.startswith('1.2') and ',' in shown and shown.endswith('$')  # 1.234,5x $, not $1,234.5x
    await user.should_see(shown)
    await user.should_see(tokens_text(today.tokens, locale='de_DE'))  # e.g. '14,7k'
    assert ',' in tokens_text(today.tokens, locale='de_DE')
    await user.should_see(count_text(today.requests, 'de_DE'))
    await user.should_not_see(format_money(balance, 'USD'))  # the en_US form is gone

    await user.open('/settings')
    _set(user, 'Number format', '')  # back to "not chosen"
    user.find('Save profile').click()
    for _ in range(50):  # the first "Profile saved" may still be on screen: wait for the write itself
        with db.session_scope() as session:
            if current_account(session).locale is None:
                break
        await asyncio.sleep(0.05)
    with db.session_scope() as session:
        assert current_account(session).locale is None
    await user.open('/dashboard')
    await user.should_see(format_money(balance, 'USD'))
    assert credit_view  # the card's texts come from credit_view, which the live refresh uses too
