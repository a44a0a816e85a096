"""Eco figures on pages. /transactions/{id}: energy and carbon with their ranges and parts, the grid and PUE behind
them, eco-1 records shown for what they are. Lists and columns (dashboard table, top models, what-if): one unit each."""

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from services import db
from services.account.accounts import create_account
from services.catalog import get_catalog
from services.eco import estimate as eco
from services.models import Generation, UsageHour
from services.units import CARBON_UNITS, ENERGY_UNITS, carbon_unit
from services.usage.ingest import record_generation
from tests.support import factories


def _record(model: str, provider: str, region: str) -> Generation:
    with db.session_scope() as session:
        account = factories.account(session=session)
        where = {'model': model, 'provider': provider, 'region': region}
        return factories.generation(
            account, session=session, prompt_tokens=812, completion_tokens=240, latency_ms=1830, **where
        )


def _stored(generation_id: str) -> Generation:
    with db.session_scope() as session:
        return session.exec(select(Generation).where(Generation.id == generation_id)).one()


def _text(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().text


def _value(text: str, units: dict[str, float]) -> tuple[float, float]:
    """'0.42 Wh' -> (0.42, 0.01) in Wh or g, with the size of the last printed digit."""
    number, unit = text.split(' ', 1)
    decimals = len(number.partition('.')[2])
    return float(number.replace(',', '')) * units[unit], 10.0**-decimals * units[unit]


def _range(text: str, units: dict[str, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """'range 0.20–0.65 Wh' -> both ends, like _value."""
    numbers, unit = text.removeprefix('range ').split(' ', 1)
    low, high = numbers.split('–')
    return _value(f'{low} {unit}', units), _value(f'{high} {unit}', units)


def _close(printed: tuple[float, float], stored: float) -> bool:
    value, step = printed
    return abs(value - stored) <= step / 2 + 1e-12


async def test_the_split_of_energy_and_carbon_is_the_stored_record(user: User):
    generation = _record('openai/gpt-4o-mini', 'openai', 'us-east-1')
    g = _stored(generation.id)
    assert g.methodology_version == eco.METHODOLOGY_VERSION and g.grid_basis == 'region'
    assert 0 < g.input_energy_wh < g.energy_wh and 0 < g.embodied_g < g.carbon_g
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Energy and carbon')

    energy, carbon = _text(user, 'energy-total'), _text(user, 'carbon-total')
    assert _close(_value(energy, ENERGY_UNITS), g.energy_wh)
    low, high = _range(_text(user, 'energy-range'), ENERGY_UNITS)
    assert _close(low, g.energy_wh_low) and _close(high, g.energy_wh_high)
    assert _close(_value(_text(user, 'energy-prompt'), ENERGY_UNITS), g.input_energy_wh)
    assert _close(_value(_text(user, 'energy-output'), ENERGY_UNITS), g.energy_wh - g.input_energy_wh)
    await user.should_see('Prompt tokens (812)')
    await user.should_see('Output tokens (240)')

    assert _close(_value(carbon, CARBON_UNITS), g.carbon_g)
    low, high = _range(_text(user, 'carbon-range'), CARBON_UNITS)
    assert _close(low, g.carbon_g_low) and _close(high, g.carbon_g_high)
    assert _close(_value(_text(user, 'carbon-electricity'), CARBON_UNITS), g.carbon_g - g.embodied_g)
    assert _close(_value(_text(user, 'carbon-embodied'), CARBON_UNITS), g.embodied_g)
    await user.should_see('Manufacturing (embodied)')

    energy_units = {_text(user, m).split(' ', 1)[1] for m in ('energy-total', 'energy-prompt', 'energy-output')}
    carbon_units = {_text(user, m).split(' ', 1)[1] for m in ('carbon-total', 'carbon-electricity', 'carbon-embodied')}
    assert len(energy_units) == 1 and len(carbon_units) == 1  # one unit per figure group, never mg beside g

    assert _text(user, 'grid-intensity') == f'{g.grid_intensity_g_per_kwh:,.0f} g CO2e/kWh'
    assert _text(user, 'grid-basis') == "the serving region's own grid"
    assert _text(user, 'pue') == f'{g.pue:.2f}'
    assert _text(user, 'methodology') == eco.METHODOLOGY_VERSION
    link = user.find(marker='methodology').elements.pop()
    assert link.props['href'] == '/eco/methodology'
    await user.should_not_see('Computed with eco-1')


@pytest.mark.parametrize(
    ('model', 'provider', 'region', 'basis', 'said'),
    [
        ('mistral/mistral-nemo', 'deepinfra', 'generic-usa', 'country',
         'fell back to the country average: no regional data'),
        ('openai/gpt-4o-mini', 'azure-openai', 'uksouth', 'zone',
         "the grid zone's average: no data for the region itself"),
    ],
)  # fmt: skip
async def test_a_fallback_grid_is_said_on_the_record(user: User, model, provider, region, basis, said):
    generation = _record(model, provider, region)
    assert _stored(generation.id).grid_basis == basis
    await user.open(f'/transactions/{generation.id}')
    await user.should_see('Energy and carbon')
    assert _text(user, 'grid-basis') == said


async def test_an_eco1_record_says_what_it_leaves_out_instead_of_showing_zeros(user: User):
    generation = _record('openai/gpt-4o-mini', 'openai', 'us-east-1')
    legacy = eco.estimate(
        get_catalog(), 'openai/gpt-4o-mini', 'openai', 'us-east-1', 240, prompt_tokens=812, version=eco.LEGACY_VERSION
    )
    with db.session_scope() as session:
        g = session.exec(select(Generation).where(Generation.id == generation.id)).one()
        for column, value in legacy.columns().items():
            setattr(g, column, value)
        session.add(g)
    g = _stored(generation.id)
    assert g.methodology_version == eco.LEGACY_VERSION
    assert g.embodied_g == 0 and g.input_energy_wh == 0 and g.grid_basis is None and g.pue is None
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Computed with eco-1: prompt tokens and manufacturing not counted.')
    assert _text(user, 'energy-prompt') == 'not counted (eco-1)'
    assert _text(user, 'carbon-embodied') == 'not counted (eco-1)'
    assert _close(_value(_text(user, 'energy-total'), ENERGY_UNITS), g.energy_wh)
    assert _close(_value(_text(user, 'energy-output'), ENERGY_UNITS), g.energy_wh)
    assert _close(_value(_text(user, 'carbon-total'), CARBON_UNITS), g.carbon_g)
    assert _close(_value(_text(user, 'carbon-electricity'), CARBON_UNITS), g.carbon_g)
    assert _text(user, 'methodology') == eco.LEGACY_VERSION
    await user.should_not_see(marker='pue')
    await user.should_not_see(marker='grid-basis')
    await user.should_not_see('Prompt tokens (812)')


async def test_the_dashboard_table_shows_every_carbon_figure_in_one_unit(user: User):
    with db.session_scope() as session:
        account = create_account(session, name='Acme')
        for model, completion in (('openai/gpt-oss-20b', 1), ('meta-llama/llama-3.1-405b-instruct', 4000)):
            record_generation(session, account, {'model': model, 'prompt_tokens': 10, 'completion_tokens': completion})
    await user.open('/dashboard')
    await user.should_see('Recent transactions')
    table = user.find(ui.table).elements.pop()
    heading = next(c['label'] for c in table.columns if c['name'] == 'carbon')
    unit = heading.removeprefix('Carbon (').removesuffix(')')
    assert unit in CARBON_UNITS
    with db.session_scope() as session:
        stored = {g.id: g.carbon_g for g in session.exec(select(Generation))}
        assert session.exec(select(UsageHour)).first() is not None
    assert carbon_unit([min(stored.values())]) != carbon_unit([max(stored.values())])  # alone: two units
    for row in table.rows:
        assert _close(_value(f'{row["carbon"]} {unit}', CARBON_UNITS), stored[row['id']])


def test_the_top_models_bars_label_their_carbon_in_one_unit(account):
    from components.charts import top_models_figure
    from services.usage.dashboard import ModelUsage

    usages = [
        ModelUsage('openai/gpt-4o', 10, 1000, 10, 2.5, 0.5),
        ModelUsage('openai/gpt-4o-mini', 10, 1000, 10, 0.004, 0.5),  # alone: 4.00 mg CO2e
    ]
    labels = top_models_figure(account, usages, 'carbon', 6).data[0].text
    assert list(labels) == ['0.0040 g CO2e', '2.50 g CO2e']


def test_the_what_if_before_and_after_share_a_unit(account):
    from components.whatif import metric_text

    after, before = 0.004, 0.3  # alone: 4.00 mg CO2e and 0.30 g CO2e
    assert metric_text(account, 'carbon_g', after, beside=before) == '0.0040 g CO2e'
    assert metric_text(account, 'carbon_g', before, beside=after) == '0.30 g CO2e'
    assert metric_text(account, 'energy_wh', 0.004, beside=1500) == '0.000004 kWh'  # six decimals at most


async def test_a_model_outside_its_review_band_says_why_on_its_record(user: User):
    with db.session_scope() as session:
        account = create_account(session, name='Acme')
        ids = [
            record_generation(session, account, {'model': m, 'prompt_tokens': 100, 'completion_tokens': 50})[0].id
            for m in ('openai/gpt-5', 'openai/gpt-4o')
        ]
    where, why = eco.band_status(get_catalog().models['openai/gpt-5'])
    assert where == 'below' and 'GPT-5' in why
    await user.open(f'/transactions/{ids[0]}')
    assert _text(user, 'eco-band') == why
    await user.open(f'/transactions/{ids[1]}')
    await user.should_see('Energy and carbon')
    await user.should_not_see(marker='eco-band')
