"""/eco/methodology shows the numbers the engine computes: stamp, fit, references, every model, grids, history."""

import re

import pytest
from nicegui import ui
from nicegui.element import Element
from nicegui.elements.mixins.text_element import TextElement
from nicegui.testing import User

from services.catalog import get_catalog
from services.eco import _ecologits as eco_ecologits
from services.eco import _legacy as eco_legacy
from services.eco import calibration as eco_calibration
from services.eco import estimate as eco
from services.eco import grid
from services.eco import impact as eco_impact
from services.units import number_text

CATALOG = get_catalog()
LINKED_FROM_ELSEWHERE = [  # addresses of sections linked from other pages, the API or earlier versions of this page
    'formula', 'carbon', 'estimates', 'baseline', 'confidence', 'not-counted', 'sources', 'versions',
    'world-average-grid', 'comparable',
]  # fmt: skip


async def test_the_page_shows_the_current_stamp_and_the_files_it_hashes(user: User):
    await user.open('/eco/methodology')
    assert _texts(user, 'stamp') == [eco.METHODOLOGY_VERSION]
    await user.should_see(f'data {eco.data_hash()}')
    for name in eco.DATA_FILES:
        await user.should_see(f'data/{name}')


async def test_the_fitted_coefficients_are_those_of_the_fit(user: User):
    fit = eco_calibration.fit()
    await user.open('/eco/methodology')
    assert _texts(user, 'fit-c') == [f'{fit.coefficient:.4g} Wh per token at 1B']
    assert _texts(user, 'fit-a') == [f'{fit.exponent:.3f}']
    assert _texts(user, 'fit-spread') == [f'×{fit.spread:.2f}']


async def test_every_reference_is_a_row_with_its_figure_and_the_fit_for_its_scenario(user: User):
    await user.open('/eco/methodology')
    rows = _rows(user, 'references')
    references = eco_calibration.references()
    assert len(rows) == len(references)
    for reference in references:
        row = next(r for r in rows if r[0][0] == reference.source)
        assert row[1] == [reference.boundary]
        assert row[2][0] == f'{reference.prompt_tokens:,} prompt + {reference.completion_tokens:,} output tokens'
        assert row[3][0].startswith(f'{number_text(reference.wh)} Wh')
        assert row[4][0] == f'{number_text(eco_calibration.reference_estimate(reference))} Wh'
        assert row[5] == [reference.use]
    long = max(references, key=lambda r: r.prompt_tokens)
    await user.should_see(f'{long.wh / eco_calibration.reference_estimate(long):.1f}× lower')
    await user.should_see('underestimates very long contexts')


async def test_every_catalog_model_is_a_row_with_its_central_figure_band_and_disclosures(user: User):
    await user.open('/eco/methodology')
    rows = {r[0][0]: r for r in _rows(user, 'models')}
    assert len(rows) == len(CATALOG.models)
    for model in CATALOG.models.values():
        row = rows[model.name]
        assert row[1] == [number_text(eco.central_wh_per_1k_output(model))]
        span = eco.energy_per_1k_output_tokens(model, eco_calibration.reference_pue())
        assert row[2][0] == f'{number_text(span.low)}–{number_text(span.high)} Wh'
        where, why = eco.band_status(model)
        assert row[4][0].startswith(f'{where} the ') and (not why or row[4][1] == why)
        vendor = ' '.join(row[5])
        for disclosure in eco_calibration.disclosures_for(model.id):
            assert f'{disclosure.figure:g} {disclosure.unit}' in vendor and disclosure.boundary in vendor
        if not eco_calibration.disclosures_for(model.id):
            assert row[5] == ['none published']
    outside = [m for m in CATALOG.models.values() if eco.band_status(m)[0] != 'inside']
    assert outside, 'the catalog has models outside their band: the page must say why'


async def test_measured_throughput_is_listed_for_exactly_the_models_that_have_it(user: User):
    await user.open('/eco/methodology')
    rows = {r[0][0]: r for r in _rows(user, 'measured')}
    expected = {m.name: eco_ecologits.measured_deployment(m) for m in CATALOG.models.values()}
    assert set(rows) == {name for name, measured in expected.items() if measured}
    for name, row in rows.items():
        tps, ttft = expected[name]
        assert row[1:] == [[number_text(tps)], [number_text(ttft)]]


async def test_every_region_shows_its_grid_and_basis(user: User):
    await user.open('/eco/methodology')
    rows = _rows(user, 'grid')
    expected = grid.grid_rows()
    assert [r[0][0] for r in rows] == [g['region'] for g in expected]
    for row, g in zip(rows, expected, strict=True):
        assert row[0][1].endswith(f'basis: {g["basis"]}')
        assert row[1][0] == number_text(g['intensity'])
        assert row[2] == [f'{g["pue"]:g}' if g['pue'] is not None else "provider's fleet PUE"]
        assert row[3] == [g['note']]


async def test_the_version_history_compares_with_the_frozen_eco_1_computation(user: User):
    await user.open('/eco/methodology')
    rows = {r[0][0]: r for r in _rows(user, 'history-models')}
    assert len(rows) == len(CATALOG.models)
    for model in CATALOG.models.values():
        old = eco_legacy.estimate(CATALOG, model.id, None, None, 1000).energy_wh.value
        new = eco.energy_per_1k_output_tokens(model, eco_calibration.reference_pue()).value
        row = rows[model.name]
        assert row[1][0] == number_text(old)
        assert row[2][0] == number_text(new)
        assert row[3] == [f'×{new / old:.2f}' if new / old < 10 else f'×{new / old:.0f}']
    regions = {r[0][0]: r for r in _rows(user, 'history-grid')}
    assert len(regions) == len(CATALOG.regions)
    for g in grid.grid_rows():
        assert regions[g['region']][1] == [number_text(CATALOG.regions[g['region']].grid_intensity_g_per_kwh)]
        assert regions[g['region']][2] == [number_text(g['intensity'])]
    await user.should_see(eco.LEGACY_VERSION)
    await user.should_see('python app.py eco-recompute')


@pytest.mark.parametrize('code', sorted(eco_impact.CAVEATS | eco.CAVEATS))
async def test_each_caveat_has_its_anchor_with_the_words_the_panel_shows(user: User, code: str):
    await user.open('/eco/methodology')
    block = _by_id(user, eco_impact.caveat_anchor(code))
    words = eco_impact.CAVEATS.get(code) or eco.CAVEATS[code]
    assert any(words in text for text in _all_text(block))


async def test_old_addresses_and_every_link_on_the_page_land_on_a_section(user: User):
    await user.open('/eco/methodology')
    ids = {e.props.get('id') for e in _page(user).descendants()}
    for anchor in LINKED_FROM_ELSEWHERE:
        assert anchor in ids, anchor
    targets = [link.props['href'] for link in _page(user).descendants() if isinstance(link, ui.link)]
    markdown = ''.join(e.content for e in _page(user).descendants() if isinstance(e, ui.markdown))
    targets += re.findall(r'\]\((#[^)]+)\)', markdown)
    internal = [t[1:] for t in targets if t.startswith('#')]
    assert internal and all(anchor in ids for anchor in internal), set(internal) - ids


def _page(user: User) -> Element:
    return user.client.layout


def _by_id(user: User, anchor: str) -> Element:
    return next(e for e in _page(user).descendants() if e.props.get('id') == anchor)


def _texts(user: User, marker: str) -> list[str]:
    return [e.text for e in user.find(marker=marker).elements]


def _all_text(element: Element) -> list[str]:
    return [e.text for e in element.descendants() if isinstance(e, TextElement)]


def _rows(user: User, table: str) -> list[list[list[str]]]:
    """The table's rows in page order: for each row its cells, for each cell its texts (value, then notes)."""
    (element,) = user.find(marker=table).elements
    return [
        [_all_text(td) for td in tr.default_slot.children]
        for tr in element.descendants()
        if f'{table}-row' in tr._markers
    ]
