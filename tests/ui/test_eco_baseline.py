"""Settings → Eco baseline: every model with its central energy per 1 000 output tokens, its range and whether its
size is published, in one unit, in the table, the phone list and the picker."""

from nicegui import ui
from nicegui.testing import User

from services import db
from services.account.accounts import create_account
from services.catalog import get_catalog
from services.eco import estimate as eco
from services.units import ENERGY_UNITS


async def _open(user: User) -> None:
    with db.session_scope() as session:
        create_account(session, name='Acme')
    await user.open('/settings')
    await user.should_see('Eco baseline')


def _close(number: str, unit: str, stored: float) -> bool:
    decimals = len(number.partition('.')[2])
    return abs(float(number.replace(',', '')) * ENERGY_UNITS[unit] - stored) <= 0.5 * 10**-decimals * ENERGY_UNITS[unit]


async def test_the_table_lists_every_model_with_the_engines_figures(user: User):
    await _open(user)
    table = user.find(marker='baseline-table').elements.pop()
    assert isinstance(table, ui.table)
    labels = {c['name']: c['label'] for c in table.columns}
    unit = labels['energy'].removeprefix('Central (').removesuffix(')')
    assert unit in ENERGY_UNITS and labels['range'] == f'Range ({unit})'
    await user.should_see(f'Energy per 1 000 output tokens, in {unit}')
    catalog = get_catalog()
    assert {row['id'] for row in table.rows} == set(catalog.models)
    for row in table.rows:
        model = catalog.models[row['id']]
        span = eco.energy_per_1k_output_tokens(model, eco.DEFAULT_PUE)
        low, high = row['range'].split('–')
        assert _close(row['energy'], unit, span.value), row
        assert _close(low, unit, span.low) and _close(high, unit, span.high), row
        assert row['status'] == ('published' if model.params_status == 'verified' else 'estimated')
    centrals = [eco.energy_per_1k_output_tokens(catalog.models[r['id']], eco.DEFAULT_PUE).value for r in table.rows]
    assert centrals == sorted(centrals, reverse=True)  # largest first


async def test_the_phone_list_and_the_picker_carry_the_same_figures(user: User):
    await _open(user)
    table = user.find(marker='baseline-table').elements.pop()
    unit = next(c['label'] for c in table.columns if c['name'] == 'energy').removeprefix('Central (').rstrip(')')
    phone = user.find(marker='baseline-list').elements.pop().content
    picker = user.find(marker='eco-baseline-select').elements.pop()
    assert picker.props['label'] == 'Baseline model'
    for row in table.rows:
        assert f'{row["energy"]} {unit}</span>' in phone
        assert f'range {row["range"]} {unit}' in phone
        assert f'{row["params"]} active parameters, {row["status"]} size' in phone
        label = f'{row["name"]} · {row["energy"]} {unit} (range {row["range"]} {unit}) · {row["status"]} size'
        assert picker.options[row['id']] == label
