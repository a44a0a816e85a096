import json
from importlib import resources

from services.catalog import catalog_problems, get_catalog


def test_catalog_is_sound():
    assert catalog_problems(get_catalog()) == []


def test_catalog_is_large_enough_to_route():
    catalog = get_catalog()
    assert len(catalog.models) >= 20
    assert len(catalog.providers) >= 8
    assert len(catalog.regions) >= 12
    assert {'USD', 'EUR', 'GBP'} <= set(catalog.fx)
    assert any(m.open_weights for m in catalog.models.values())
    assert any(not m.open_weights for m in catalog.models.values())
    for provider in catalog.providers:
        assert len({o.model for o in catalog.offers if o.provider == provider}) >= 2, provider
    assert {o.region for o in catalog.offers} == set(catalog.regions)


def test_model_parameters_match_ecologits():
    data = json.loads((resources.files('ecologits') / 'data' / 'models.json').read_text())
    by_name = {(m['provider'], m['name']): m for m in data['models']}
    for model in get_catalog().models.values():
        entry = by_name[(model.ecologits_provider, model.ecologits_name)]
        arch = entry['architecture']['parameters']
        total, active = (arch['total'], arch['active']) if isinstance(arch, dict) and 'total' in arch else (arch, arch)
        assert model.total_params_b == _bounds(total), model.id
        assert model.active_params_b == _bounds(active), model.id
        released = 'model-arch-not-released' not in (entry['warnings'] or [])
        assert model.params_status == ('verified' if released else 'estimated'), model.id


def test_region_intensities_match_ecologits_mixes():
    data = json.loads((resources.files('ecologits') / 'data' / 'electricity_mixes.json').read_text())
    gwp = {m['name']: m['gwp'] for m in data['electricity_mixes']}
    for region in get_catalog().regions.values():
        assert abs(region.grid_intensity_g_per_kwh - gwp[region.country_iso3] * 1000) < 1e-6, region.id


def _bounds(value):
    if isinstance(value, dict):
        return (float(value['min']), float(value['max']))
    return (float(value), float(value))
