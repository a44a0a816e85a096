"""eco-2: parity with EcoLogits, the calibrated estimate against its references, bands, ranges and stamps."""

import math
import re
import shutil

import pytest
from ecologits.tracers.utils import PROVIDER_CONFIG_MAP, llm_impacts
from ecologits.utils.range_value import RangeValue

from services.catalog import DATA, get_catalog, load_catalog
from services.eco import _ecologits as eco_ecologits
from services.eco import _legacy as eco_legacy
from services.eco import calibration as eco_calibration
from services.eco import estimate as eco

CATALOG = get_catalog()
MODELS = sorted(CATALOG.models)


def _ends(value) -> tuple[float, float]:
    return (value.min, value.max) if isinstance(value, RangeValue) else (value, value)


@pytest.mark.parametrize('model_id', MODELS)
@pytest.mark.parametrize(('tokens', 'latency_s'), [(1, None), (400, None), (4000, None), (400, 1.5), (1, 0.2)])
def test_method_a_is_ecologits_llm_impacts_for_every_catalog_model(model_id, tokens, latency_s):
    model = CATALOG.models[model_id]
    config = PROVIDER_CONFIG_MAP[model.ecologits_provider]
    pue_low, pue_high = _ends(config.datacenter_pue)
    ours = eco.energy_of(model, (pue_low, pue_low, pue_high), 0, tokens, latency_s)
    theirs = llm_impacts(model.ecologits_provider, model.ecologits_name, tokens, latency_s or math.inf)
    energy_low, energy_high = _ends(theirs.energy.value)
    assert ours.ecologits.low == pytest.approx(energy_low * 1000, rel=1e-9)
    assert ours.ecologits.high == pytest.approx(energy_high * 1000, rel=1e-9)
    embodied_low, embodied_high = _ends(theirs.embodied.gwp.value)
    assert ours.embodied_g.low == pytest.approx(embodied_low * 1000, rel=1e-9)
    assert ours.embodied_g.high == pytest.approx(embodied_high * 1000, rel=1e-9)


def test_ecologits_measured_throughput_is_used_where_it_ships_one():
    with_data = [m for m in CATALOG.models.values() if eco_ecologits.measured_deployment(m)]
    assert len(with_data) == 16  # every closed model of the catalog, plus three of Mistral's
    model = CATALOG.models['google/gemini-2.5-pro']
    tps, ttft = eco_ecologits.measured_deployment(model)
    low, _ = eco_ecologits.coefficients(model)
    assert low.seconds_per_token == pytest.approx(1 / tps)
    assert low.ttft_s == ttft


def test_a_measured_latency_caps_the_server_time_as_ecologits_does():
    model = CATALOG.models['openai/gpt-4o']
    modelled = eco.energy_of(model, (1.2, 1.2, 1.2), 0, 500)
    fast = eco.energy_of(model, (1.2, 1.2, 1.2), 0, 500, latency_s=0.5)
    assert fast.ecologits.high < modelled.ecologits.high
    assert fast.embodied_g.high < modelled.embodied_g.high


@pytest.mark.parametrize('reference', [r for r in eco_calibration.references() if r.use == 'fit'], ids=lambda r: r.id)
def test_the_calibrated_estimate_reproduces_each_reference_within_its_range(reference):
    estimate = eco_calibration.reference_estimate(reference)
    assert reference.wh_low <= estimate <= reference.wh_high


def test_the_fit_is_computed_from_the_data_rows_and_its_spread_covers_them():
    fit = eco_calibration.fit()
    assert 0.3 < fit.exponent < 1.0  # energy grows with size, sub-linearly at production batch sizes
    for reference in eco_calibration.references():
        if reference.use == 'fit':
            ratio = eco_calibration.reference_estimate(reference) / reference.wh
            assert 1 / fit.spread - 1e-9 <= ratio <= fit.spread + 1e-9


@pytest.mark.parametrize('model_id', MODELS)
def test_every_model_is_inside_its_band_or_carries_a_caveat_that_names_the_reason(model_id):
    model = CATALOG.models[model_id]
    tier, _ = eco_calibration.tiers()[model_id]
    low, high = eco_calibration.band(tier)
    central = eco.central_wh_per_1k_output(model)
    where, why = eco.band_status(model)
    if low <= central <= high:
        assert where == 'inside'
        assert 'outside_band' not in eco.model_caveats(model)
    else:
        assert 'outside_band' in eco.model_caveats(model)
        assert model.name in why and ('estimates' in why or 'experts' in why or 'parameters' in why)


def test_public_figures_that_were_far_off_under_eco_1_are_now_in_their_band():
    for model_id, published in [
        ('google/gemini-2.5-pro', (0.3, 3)),
        ('meta-llama/llama-3.1-405b-instruct', (0.5, 2)),  # Oviedo et al.: near 1.1
        ('anthropic/claude-opus-4-5', (0.3, 3)),
        ('openai/gpt-4o', (0.3, 1.2)),  # Epoch: about 0.6
    ]:
        central = eco.central_wh_per_1k_output(CATALOG.models[model_id])
        assert published[0] <= central <= published[1], model_id


def test_prompt_tokens_count_with_the_documented_factor():
    factor = eco_calibration.input_factor()
    without = eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'us-east-1', 300)
    with_prompt = eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'us-east-1', 300, prompt_tokens=1200)
    assert with_prompt.input_energy_wh == pytest.approx(without.energy_wh.value / 300 * 1200 * factor.value)
    assert with_prompt.energy_wh.value == pytest.approx(without.energy_wh.value + with_prompt.input_energy_wh)
    assert factor.low < factor.value < factor.high


def test_the_input_factor_is_the_median_price_ratio_of_the_catalog():
    ratios = sorted(float(o.input_usd_per_mtok / o.output_usd_per_mtok) for o in CATALOG.offers)
    middle = len(ratios) // 2
    median = ratios[middle] if len(ratios) % 2 else (ratios[middle - 1] + ratios[middle]) / 2
    assert eco_calibration.input_factor().value == pytest.approx(median)
    assert eco_calibration.input_factor().low == pytest.approx(min(ratios), abs=1e-3)


def test_carbon_is_electricity_at_the_region_grid_plus_manufacturing():
    result = eco.estimate(CATALOG, 'openai/gpt-4o', 'bedrock', 'ca-central-1', 500, prompt_tokens=200)
    assert result.grid_basis == 'region'
    assert result.grid_intensity_g_per_kwh == pytest.approx(30.51)
    electricity = result.energy_wh.value * 30.51 / 1000
    assert result.carbon_g.value == pytest.approx(electricity + result.embodied_g.value)
    assert result.embodied_g.value > 0


def test_ranges_are_never_zero_even_for_a_published_model():
    result = eco.estimate(CATALOG, 'meta-llama/llama-3.1-70b-instruct', 'together', 'generic-usa', 500)
    assert result.energy_wh.low < result.energy_wh.value < result.energy_wh.high
    assert result.carbon_g.low < result.carbon_g.value < result.carbon_g.high


def test_many_requests_without_latency_are_the_exact_sum_of_single_ones():
    one = eco.estimate(CATALOG, 'openai/gpt-5', 'openai', 'us-east-1', 250, prompt_tokens=100)
    many = eco.estimate(CATALOG, 'openai/gpt-5', 'openai', 'us-east-1', 1000, prompt_tokens=400, requests=4)
    for a, b in ((one.energy_wh, many.energy_wh), (one.carbon_g, many.carbon_g), (one.embodied_g, many.embodied_g)):
        assert b.low == pytest.approx(4 * a.low) and b.value == pytest.approx(4 * a.value)
        assert b.high == pytest.approx(4 * a.high)


def test_unknown_region_falls_back_to_the_world_average_and_says_so():
    result = eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'mars-north-1', 500)
    assert result.grid_basis == 'world' and result.estimated and 'grid_fallback' in result.caveats
    assert result.grid_intensity_g_per_kwh == pytest.approx(eco.world_intensity())


def test_the_stamp_names_method_ecologits_and_a_hash_of_the_data():
    assert re.fullmatch(r'eco-2 · EcoLogits 0\.11\.3 · data [0-9a-f]{8}', eco.METHODOLOGY_VERSION)
    assert eco.METHODOLOGY_VERSION.endswith(eco.data_hash())
    assert len(eco.METHODOLOGY_VERSION) <= 80


def test_a_catalog_change_changes_the_stamp(tmp_path):
    copy = tmp_path / 'data'
    shutil.copytree(DATA, copy)
    assert eco.data_hash(copy) == eco.data_hash()
    models = copy / 'models.csv'
    models.write_text(models.read_text().replace('openai/gpt-4o,GPT-4o,OpenAI,false,openai,gpt-4o,440', '…,441', 1))
    assert eco.data_hash(copy) != eco.data_hash()
    regions = copy / 'regions.csv'
    shutil.copy(DATA / 'models.csv', models)
    regions.write_text(regions.read_text().replace('384.4', '384.5', 1))
    assert eco.data_hash(copy) != eco.data_hash()


def test_eco_1_records_are_still_computed_by_the_frozen_legacy_path():
    legacy = eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'us-east-1', 1000, version=eco.LEGACY_VERSION)
    assert legacy.methodology_version == 'eco-1 (EcoLogits 0.11.3)' == eco_legacy.VERSION
    assert legacy.energy_wh.value == pytest.approx(3.0, abs=0.1)  # eco-1 gave GPT-4o 3.0 Wh per 1k output tokens
    assert legacy.embodied_g == eco.Span.zero() and legacy.input_energy_wh == 0
    assert legacy.carbon_g.value == pytest.approx(legacy.energy_wh.value * 384.4 / 1000)
    assert eco.computable(eco.LEGACY_VERSION) and eco.computable(eco.METHODOLOGY_VERSION)
    assert not eco.computable('eco-0')
    with pytest.raises(ValueError):
        eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'us-east-1', 10, version='eco-0')


def test_columns_fill_every_eco_column_of_a_generation():
    columns = eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'us-east-1', 10).columns()
    assert {'embodied_g', 'input_energy_wh', 'pue', 'grid_basis', 'methodology_version'} <= set(columns)


def test_a_catalog_loaded_from_a_copy_computes_the_same(tmp_path):
    shutil.copytree(DATA, tmp_path / 'data')
    other = load_catalog(tmp_path / 'data')
    a = eco.estimate(other, 'openai/gpt-4o', 'openai', 'us-east-1', 10)
    b = eco.estimate(CATALOG, 'openai/gpt-4o', 'openai', 'us-east-1', 10)
    assert a.energy_wh == b.energy_wh
