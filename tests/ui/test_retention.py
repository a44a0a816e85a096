"""Settings → Data retention and the detail page of a pruned generation, in NiceGUI's simulated user."""

import asyncio
from datetime import timedelta

from nicegui import ui
from nicegui.testing import User

from services import db
from services.account.accounts import current_account
from services.models import Account, utcnow
from services.timeutil import format_local
from services.usage.generation_ids import new_generation_id
from services.usage.retention import prune, set_retention
from tests.support import factories


def _account_with_history(days_ago=(45, 40, 2)) -> tuple[Account, list[str]]:
    with db.session_scope() as session:
        account = factories.account(session=session, timezone='America/New_York')
        payloads = [
            {'prompt_tokens': 500, 'completion_tokens': 80, 'created_at': utcnow() - timedelta(days=d)}
            for d in days_ago
        ]
        ids = [g.id for g in factories.generations(account, payloads, session=session)]
    return account, ids


def _retention() -> int | None:
    with db.session_scope() as session:
        return current_account(session).retention_days


def _days(user: User) -> ui.number:
    return user.find(marker='retention-days').elements.pop()


async def test_the_retention_card_saves_after_confirming_what_it_deletes(user: User):
    _account_with_history()
    await user.open('/settings')
    await user.should_see('Data retention')
    await user.should_see('Nothing has been deleted so far.')
    user.find(marker='retention-mode').elements.pop().set_value('days')
    _days(user).set_value(30)
    user.find('Save retention').click()
    await user.should_see('Delete 2 generations?')
    await user.should_see('Their records cannot be brought back')
    assert _retention() is None  # not before the confirmation
    user.find('Keep 30 days').click()
    await user.should_see('Data retention saved: 30 days')
    assert _retention() == 30
    await user.should_see('2 generations older than 30 days will be deleted at the next pruning, within the hour.')

    user.find(marker='retention-mode').elements.pop().set_value('all')
    user.find('Save retention').click()
    await user.should_see('Data retention saved: every generation is kept')
    assert _retention() is None


async def test_cancelling_the_confirmation_writes_nothing(user: User):
    _account_with_history()
    await user.open('/settings')
    user.find(marker='retention-mode').elements.pop().set_value('days')
    _days(user).set_value(7)
    user.find('Save retention').click()
    await user.should_see('Delete 2 generations?')
    user.find('Cancel').click()
    await user.should_not_see('Delete 2 generations?')
    assert _retention() is None


async def test_bad_input_shows_an_error_in_the_form_and_writes_nothing(user: User):
    account, _ = _account_with_history(days_ago=(1,))
    with db.session_scope() as session:
        set_retention(session, account, 90)
    await user.open('/settings')
    for value, message in (
        (0, 'must be between 1 and 3,650 days'),
        (4000, 'must be between 1 and 3,650 days'),
        (1.5, 'whole number of days'),
        (None, 'Enter how many days to keep'),
    ):
        _days(user).set_value(value)
        _days(user).error = None
        user.find('Save retention').click()
        error = await _error_of(_days(user))
        assert message.lower() in error.lower(), (value, error)
        assert _retention() == 90
    _days(user).set_value(180)  # nothing is older than 180 days: saved without a question
    user.find('Save retention').click()
    await user.should_see('Data retention saved: 180 days')
    assert _days(user).error is None and _retention() == 180


async def _error_of(element: ui.number) -> str:
    """The error the form shows on `element` (saving runs as a task: wait for it)."""
    for _ in range(100):
        if element.error:
            return element.error
        await asyncio.sleep(0.01)
    raise AssertionError('no error was shown')


async def test_a_pruned_generation_says_it_was_deleted_and_still_counts(user: User):
    account, (old, older, recent) = _account_with_history()
    with db.session_scope() as session:
        set_retention(session, account, 30)
    assert prune(db.session_scope, account) == 2
    with db.session_scope() as session:
        account = session.get(Account, account.id)
    zone = account.timezone
    await user.open(f'/transactions/{older}')
    await user.should_see('Deleted under your data-retention setting')
    await user.should_see(older)
    await user.should_see(
        f'This account keeps generations for 30 days. Pruning on {format_local(account.pruned_at, zone)} deleted '
        f'the ones recorded before {format_local(account.pruned_before, zone)}, this one among them.'
    )
    await user.should_see('still count in your balance, usage totals, reports and invoices')
    await user.should_see('Data retention settings')
    user.find('Data retention settings').click()
    await user.should_see(f'Pruning last ran on {format_local(account.pruned_at, zone)} ({zone}).')
    await user.should_see('(2 in all)')

    await user.open(f'/transactions/{recent}')
    await user.should_see('Tokens and cost')
    # an id issued after the pruning and never stored; a recent one may be a stream in progress in another process
    # (see test_live_transaction), so this one is from tomorrow
    never = new_generation_id(now=utcnow() + timedelta(days=1))
    await user.open(f'/transactions/{never}')
    await user.should_see('No such generation')
    await user.should_not_see('Deleted under your data-retention setting')
