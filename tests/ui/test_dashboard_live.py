"""An open dashboard updates by itself after commits (components/live.py, components/landing_live.py): the
balance, the month, Usage today and Recent transactions show the database's figures without a reload."""

from __future__ import annotations

import asyncio
import time

from nicegui import ui
from nicegui.testing import User

from components.eco_panel import eco_view
from components.live import INTERVAL, hub
from components.widgets import usage_today_view
from services import db
from services.account.accounts import current_account
from services.billing.ledger import credit_balance
from services.money import format_money
from services.usage.landing import load_landing
from services.usage.totals import recent_generations, spent_this_month
from tests.support import factories
from tests.support.live_pages import eventually


async def _until(check, timeout: float = 5.0) -> None:
    """Wait for the page to show what `check` asserts (the hub refreshes within about a second); if it never
    does, `check` fails with its own message."""
    if not await eventually(lambda: _holds(check), timeout):
        check()


def _holds(check) -> bool:
    try:
        check()
    except AssertionError:
        return False
    return True


def _seed():
    account = factories.account(timezone='Europe/Berlin')
    factories.ledger_entry(account, 20_000_000, idempotency_key='start')
    factories.generation(account, model='openai/gpt-4o-mini')
    return account


def _text(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().text


async def test_a_recorded_generation_shows_without_a_reload(user: User):
    account = _seed()
    await user.open('/dashboard')
    before = _text(user, 'balance')
    new = factories.generation(account, model='openai/gpt-4o', prompt_tokens=200_000, completion_tokens=50_000)
    with db.read_scope() as session:
        fresh = current_account(session)
        balance, spent = credit_balance(session, fresh), spent_this_month(session, fresh)
        newest = [g.id for g in recent_generations(session, fresh.id)]
    assert newest[0] == new.id

    def shown() -> None:
        rows = user.find(ui.table).elements.pop().rows
        assert [row['id'] for row in rows] == newest
        assert _text(user, 'balance') == format_money(balance, 'USD')
        assert format_money(spent, 'USD') in _text(user, 'spent-month')

    await _until(shown)
    assert _text(user, 'balance') != before
    await user.should_see('2 generations', retries=1)  # Recent transactions' subtitle
    await user.should_see(marker='usage-openai/gpt-4o', retries=1)  # Usage today lists the new model


async def test_a_filtered_dashboard_takes_only_its_model(user: User):
    account = _seed()
    await user.open('/dashboard?model=openai/gpt-4o-mini')
    other = factories.generation(account, model='mistral/mistral-small')
    same = factories.generation(account, model='openai/gpt-4o-mini')

    def shown() -> None:
        ids = [row['id'] for row in user.find(ui.table).elements.pop().rows]
        assert ids[0] == same.id
        assert other.id not in ids

    await _until(shown)


async def test_bursts_of_commits_refresh_the_page_at_most_once_a_second(user: User):
    account = _seed()
    await user.open('/dashboard')
    await asyncio.sleep(INTERVAL)
    rounds = hub.ticks
    began = time.monotonic()
    made = []
    for _ in range(20):  # twenty commits in quick succession
        made.append(factories.generation(account, model='openai/gpt-4o-mini'))
        await asyncio.sleep(0.02)

    def all_shown() -> None:
        ids = {row['id'] for row in user.find(ui.table).elements.pop().rows}
        assert {g.id for g in made} <= ids

    await _until(all_shown)
    elapsed = time.monotonic() - began
    assert hub.ticks - rounds <= 1 + elapsed / INTERVAL  # coalesced: never a refresh per commit


async def test_an_empty_dashboard_becomes_the_real_one_with_the_first_generation(user: User):
    account = factories.account()
    await user.open('/dashboard')
    await user.should_see('Send a first request')
    factories.generation(account, model='openai/gpt-4o-mini')
    await user.should_see('Recent transactions', retries=30)


async def test_a_top_up_in_another_tab_moves_the_balance(user: User):
    account = _seed()
    await user.open('/dashboard')
    factories.ledger_entry(account, 5_000_000, idempotency_key='elsewhere')
    with db.read_scope() as session:
        balance = credit_balance(session, current_account(session))

    def shown() -> None:
        assert _text(user, 'balance') == format_money(balance, 'USD')

    await _until(shown)


async def test_figures_change_in_place_and_the_card_is_drawn_again_only_when_its_shape_changes(user: User):
    """Traffic moves the balance, Usage today's figures and the eco panel's figures: the same labels show the
    new texts (no card is made again). A model entering Usage today's list changes the card's shape: it is
    drawn again, with the new row."""
    account = _seed()
    await user.open('/dashboard')
    balance_label = user.find(marker='balance').elements.pop()
    model_row = user.find(marker='usage-openai/gpt-4o-mini').elements.pop()
    eco_figure = _eco_actual_energy(user)
    before = (balance_label.text, eco_figure.text)
    factories.generation(account, model='openai/gpt-4o-mini', prompt_tokens=900_000, completion_tokens=300_000)
    with db.read_scope() as session:
        fresh = current_account(session)
        balance = credit_balance(session, fresh)
        impact = load_landing(fresh.id).impact
    expected_energy = eco_view(impact)[1]['actual-energy']

    def moved() -> None:
        assert _text(user, 'balance') == format_money(balance, 'USD')
        assert _eco_actual_energy(user).text == expected_energy

    await _until(moved)
    assert (balance_label.text, eco_figure.text) != before
    assert user.find(marker='balance').elements.pop() is balance_label  # updated in place
    assert _eco_actual_energy(user) is eco_figure
    assert user.find(marker='usage-openai/gpt-4o-mini').elements.pop() is model_row

    factories.generation(account, model='mistral/mistral-small')  # a second model: a new row in Usage today
    await user.should_see(marker='usage-mistral/mistral-small', retries=30)
    assert user.find(marker='balance').elements.pop() is balance_label  # the other cards kept their shape
    assert model_row.is_deleted  # Usage today was drawn again


def _eco_actual_energy(user: User) -> ui.label:
    """The eco panel's figure of this window's energy."""
    (column,) = [e for e in user.find(ui.column).elements if 'lr-eco-actual-energy' in e.classes]
    return column.default_slot.children[0]


async def test_models_trading_places_in_usage_today_are_updated_in_place(user: User):
    """Two models swap places: the same rows show the other model's name, figures, link and marker (nothing
    is drawn again), and the rows still filter the dashboard to the model they now show."""
    account = _seed()
    factories.generation(account, model='mistral/mistral-small', prompt_tokens=5_000, completion_tokens=1_000)
    await user.open('/dashboard')
    first = user.find(marker='usage-mistral/mistral-small').elements.pop()
    second = user.find(marker='usage-openai/gpt-4o-mini').elements.pop()
    assert first.id < second.id  # mistral-small leads on tokens
    factories.generation(account, model='openai/gpt-4o-mini', prompt_tokens=50_000, completion_tokens=5_000)

    def swapped() -> None:
        assert user.find(marker='usage-openai/gpt-4o-mini').elements.pop() is first

    await _until(swapped)
    with db.read_scope() as session:
        today = load_landing(current_account(session).id)
        texts = usage_today_view(today.account, today.today, None)[1]
    assert user.find(marker='usage-mistral/mistral-small').elements.pop() is second  # the same two rows
    assert (first.props['href'], first.props['title']) == (texts['href-0'], 'Show only openai/gpt-4o-mini')
    assert second.props['href'] == '/dashboard?model=mistral%2Fmistral-small'
    shown = [label.text for label in first.descendants() if isinstance(label, ui.label) and label is not first]
    assert shown == [texts['model-0'], texts['tokens-0'], texts['cost-0']]
    user.find(marker='usage-openai/gpt-4o-mini').click()
    await user.should_see('Showing only')
    assert user.back_history[-1] == '/dashboard?model=openai%2Fgpt-4o-mini'
