"""A service's refusal shows on the form through components/form_errors.py: under its field, else as a
notification."""

import asyncio

from nicegui import ui
from nicegui.testing import User

from components.form_errors import show_error
from services import db
from services.account.accounts import AccountError, create_account, current_account
from services.money import MoneyError


async def test_onboarding_shows_the_service_error_under_its_field(user: User):
    await user.open('/welcome')
    user.find('Create account').click()  # no name: the service refuses it
    await user.should_see('Welcome to lowrouter')
    name = user.find('Account name').elements.pop()
    message = await _error_of(name)
    assert message == _refusal_of_an_empty_name().message  # the service's own words, on its field
    assert name.props['error'] is True and name.props['error-message'] == message
    zone = user.find('Time zone').elements.pop()
    assert not zone.error and not zone.props.get('error')
    with db.session_scope() as session:
        assert current_account(session) is None


async def test_an_error_without_a_field_of_the_form_is_a_notification(user: User, monkeypatch):
    def refuse(_session, **_values):
        raise AccountError('plan', 'no plan is sold here')

    monkeypatch.setattr('pages.welcome.create_account', refuse)
    await user.open('/welcome')
    user.find('Account name').type('Acme')
    user.find('Create account').click()
    await user.should_see('no plan is sold here')
    name = user.find('Account name').elements.pop()
    assert not name.error and not name.props.get('error')


async def test_the_component_puts_the_message_on_the_named_field(user: User):
    @ui.page('/form-errors-example')
    def example() -> None:
        amount = ui.input('Amount')
        other = ui.input('Note')
        ui.button(
            'Check',
            on_click=lambda: show_error(
                MoneyError('amount', 'not an amount'), {'amount': amount, 'note': other}, capitalize=True
            ),
        )
        ui.button(
            'Elsewhere',
            on_click=lambda: show_error(MoneyError('currency', 'unsupported'), {'amount': amount}, fallback=other),
        )

    await user.open('/form-errors-example')
    user.find('Check').click()
    amount = user.find('Amount').elements.pop()
    note = user.find('Note').elements.pop()
    assert (amount.error, amount.props['error-message']) == ('Not an amount', 'Not an amount')
    assert not note.error
    user.find('Elsewhere').click()
    assert note.error == 'unsupported'


async def _error_of(element: ui.input) -> str:
    """The error the form shows on `element` (saving runs as a task: wait for it)."""
    for _ in range(100):
        if element.error:
            return element.error
        await asyncio.sleep(0.01)
    raise AssertionError('no error was shown')


def _refusal_of_an_empty_name() -> AccountError:
    with db.session_scope() as session:
        try:
            create_account(session, name='')
        except AccountError as error:
            assert error.field == 'name'
            return error
    raise AssertionError('an empty name was accepted')
