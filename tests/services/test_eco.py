import pytest
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

from services import eco
from services.catalog import Model, get_catalog


def _dense(params: float) -> Model:
    return Model(
        'test/dense', 'Dense', 'Test', True, 'x', 'x', (params, params), (params, params), 'verified', 's', 'd'
    )


def test_a_500_token_answer_from_a_70b_dense_model_is_plausible():
    energy, _ = eco.per_output_token(_dense(70.0), 1.2, 400.0)
    assert 0.1 < energy.value * 500 < 5


def test_scaling_equals_running_ecologits_at_the_real_token_count():
    catalog = get_catalog()
    model = catalog.models['meta-llama/llama-3.1-70b-instruct']
    offer = catalog.offers_for(model.id)[0]
    ours = eco.estimate(catalog, model.id, offer.provider, offer.region, 437)
    region = catalog.regions[offer.region]
    direct = compute_llm_impacts(
        model_active_parameter_count=model.active_params_b[0],
        model_total_parameter_count=model.total_params_b[0],
        output_token_count=437,
        if_electricity_mix_adpe=0,
        if_electricity_mix_pe=0,
        if_electricity_mix_gwp=region.grid_intensity_g_per_kwh / 1000,
        if_electricity_mix_wue=0,
        datacenter_pue=catalog.providers[offer.provider].pue,
        datacenter_wue=0,
    )
    assert ours.energy_wh.value == pytest.approx(direct.energy.value * 1000, rel=1e-12)
    assert ours.carbon_g.value == pytest.approx(direct.usage.gwp.value * 1000, rel=1e-12)


def test_carbon_is_energy_times_grid_intensity():
    catalog = get_catalog()
    for offer in catalog.offers[:20]:
        result = eco.estimate(catalog, offer.model, offer.provider, offer.region, 300)
        intensity = catalog.regions[offer.region].grid_intensity_g_per_kwh
        assert result.carbon_g.value == pytest.approx(result.energy_wh.value * intensity / 1000, rel=1e-9)
        assert result.energy_wh.low <= result.energy_wh.value <= result.energy_wh.high


def test_estimated_parameters_give_a_range_and_the_estimated_flag():
    catalog = get_catalog()
    model = next(m for m in catalog.models.values() if m.estimated and m.active_params_b[0] < m.active_params_b[1])
    offer = catalog.offers_for(model.id)[0]
    result = eco.estimate(catalog, model.id, offer.provider, offer.region, 500)
    assert result.estimated
    assert result.energy_wh.low < result.energy_wh.value < result.energy_wh.high
    assert isinstance(eco._param(model.active_params_b), RangeValue)


def test_unknown_region_falls_back_to_world_average_and_is_estimated():
    catalog = get_catalog()
    model = next(m for m in catalog.models.values() if not m.estimated)
    result = eco.estimate(catalog, model.id, catalog.offers_for(model.id)[0].provider, 'mars-north-1', 500)
    assert result.estimated
    assert result.grid_intensity_g_per_kwh == eco.world_intensity()


def test_methodology_version_names_the_pinned_ecologits():
    assert eco.METHODOLOGY_VERSION == 'eco-1 (EcoLogits 0.11.3)'
