"""The tables of the methodology page: every catalog model, every region's grid, every provider's PUE, and what
changed from eco-1 to eco-2, each computed by the functions that compute the records."""

from __future__ import annotations

import statistics

from services.catalog import get_catalog
from services.eco import _legacy as eco_legacy
from services.eco import calibration as eco_calibration
from services.eco import estimate as eco
from services.eco import grid
from services.units import number_text

TOKENS = 1000  # the per-model figures are per 1 000 output tokens


def model_rows() -> list[dict]:
    """Each catalog model at the reference PUE: central figure, range, both methods, band and disclosures."""
    pue = eco_calibration.reference_pue()
    rows = []
    for model in get_catalog().models.values():
        energy = eco.energy_of(model, (pue, pue, pue), 0, TOKENS)
        total, a, b = energy.total, energy.ecologits, energy.calibrated
        tier, _ = eco_calibration.tiers().get(model.id, ('mid', ''))
        low, high = eco_calibration.band(tier)
        status, why = eco.band_status(model)
        rows.append(
            {
                'id': model.id,
                'name': model.name,
                'params': _params(model),
                'central': number_text(eco.central_wh_per_1k_output(model)),
                'range': _range(total.low, total.high),
                'low_from': 'EcoLogits' if a.low < b.low else 'calibrated',
                'high_from': 'EcoLogits' if a.high > b.high else 'calibrated',
                'range_note': f'low {"(a)" if a.low < b.low else "(b)"}, high {"(a)" if a.high > b.high else "(b)"}',
                'ecologits': _range(a.low, a.high) or f'{number_text(a.value)} Wh',
                'calibrated': _range(b.low, b.high) or f'{number_text(b.value)} Wh',
                'tier': tier,
                'band': f'{low:g}–{high:g} Wh',
                'status': status,
                'band_text': f'{status} the {tier} band ({low:g}–{high:g} Wh)',
                'why': why,
                'disclosures': [_disclosure(d) for d in eco_calibration.disclosures_for(model.id)],
            }
        )
    return rows


def method_counts() -> dict:
    """How many catalog models take each end of their range from each method (at 1 000 output tokens)."""
    rows = model_rows()
    return {
        'models': len(rows),
        'low_ecologits': sum(r['low_from'] == 'EcoLogits' for r in rows),
        'high_ecologits': sum(r['high_from'] == 'EcoLogits' for r in rows),
    }


def grid_table() -> list[dict]:
    """services.eco.grid.grid_rows() as the page shows them, lowest intensity first."""
    rows = []
    for r in grid.grid_rows():
        years = _range(r['intensity_low'], r['intensity_high'], unit='')
        kept = r['years'].replace('-', '–')
        rows.append(
            {
                'region': r['region'],
                'name': r['name'],
                'basis': r['basis'],
                'where': f'{r["name"]}; basis: {r["basis"]}',
                'year': r['year'],
                'intensity': number_text(r['intensity']),
                'intensity_note': f'{r["year"]}'
                + (f'; {kept}: {years}' if years else f'; kept {kept}' if kept else ''),
                'pue': f'{r["pue"]:g}' if r['pue'] is not None else "provider's fleet PUE",
                'note': r['note'],
            }
        )
    return rows


def grid_sources() -> list[str]:
    """The distinct sources of data/grid.csv with their as-of dates."""
    return sorted({f'{g.source} (as of {g.as_of})' for g in get_catalog().grid})


def fallbacks() -> dict:
    catalog = get_catalog()
    low, _, high = grid.DEFAULT_PUE_RANGE
    country = [r.id for r in catalog.regions.values() if grid.grid_factors(catalog, r.id, None).basis == 'country']
    return {
        'world': number_text(eco.world_intensity()),
        'country_regions': country,
        'default_pue': f'{grid.DEFAULT_PUE:g}',
        'default_pue_range': f'{low:g}–{high:g}',
    }


def provider_rows() -> list[dict]:
    return [
        {
            'name': p.name,
            'cloud': f'cloud: {grid.CLOUD_NAMES.get(p.cloud, p.cloud)}' if p.cloud else '',
            'pue': f'{p.pue:g}',
            'source': p.pue_source,
        }
        for p in sorted(get_catalog().providers.values(), key=lambda p: (p.pue, p.name))
    ]


def model_history() -> list[dict]:
    """eco-1 and eco-2 Wh per 1 000 output tokens for each catalog model, both at the reference PUE."""
    catalog, pue = get_catalog(), eco_calibration.reference_pue()
    rows = []
    for model in catalog.models.values():
        old = eco.estimate(catalog, model.id, None, None, TOKENS, version=eco.LEGACY_VERSION).energy_wh
        new = eco.energy_per_1k_output_tokens(model, pue)
        rows.append(
            {
                'id': model.id,
                'name': model.name,
                'eco1': number_text(old.value),
                'eco1_range': _range(old.low, old.high),
                'eco2': number_text(new.value),
                'eco2_range': _range(new.low, new.high),
                'change': _change(new.value / old.value),
                'ratio': new.value / old.value,
            }
        )
    return rows


def region_history() -> list[dict]:
    """Each region's grid intensity under eco-1 (its country average) and eco-2 (its own grid)."""
    regions = get_catalog().regions
    rows = []
    for r in grid.grid_rows():
        old = regions[r['region']].grid_intensity_g_per_kwh
        rows.append(
            {
                'region': r['region'],
                'name': r['name'],
                'basis': r['basis'],
                'where': f'{r["name"]}; eco-2 basis: {r["basis"]}',
                'eco1': number_text(old),
                'eco2': number_text(r['intensity']),
                'change': _change(r['intensity'] / old),
                'ratio': r['intensity'] / old,
            }
        )
    return rows


def history_summary() -> dict:
    models, regions = model_history(), region_history()
    ratios = [m['ratio'] for m in models]
    grid_ratios = [r['ratio'] for r in regions]
    return {
        'legacy_pue': f'{eco_legacy.DEFAULT_PUE:g}',
        'pue': f'{eco_calibration.reference_pue():g}',
        'models': len(models),
        'lower': sum(r < 1 for r in ratios),
        'higher': sum(r > 1 for r in ratios),
        'median': _change(statistics.median(ratios)),
        'smallest': _change(min(ratios)),
        'largest': _change(max(ratios)),
        'regions': len(regions),
        'cleaner': sum(r < 1 for r in grid_ratios),
        'dirtier': sum(r > 1 for r in grid_ratios),
        'grid_smallest': _change(min(grid_ratios)),
        'grid_largest': _change(max(grid_ratios)),
    }


def _params(model) -> str:
    active, total = model.active_params_b, model.total_params_b
    text = _bounds(active) + 'B active'
    if total != active:
        text += f' of {_bounds(total)}B'
    return f'{text}, {model.params_status}'


def _bounds(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f'{low:g}' if low == high else f'{low:g}–{high:g}'


def _range(low: float, high: float, unit: str = ' Wh') -> str:
    return f'{number_text(low)}–{number_text(high)}{unit}' if number_text(low) != number_text(high) else ''


def _change(ratio: float) -> str:
    """'×0.12': eco-2 as a multiple of eco-1."""
    return f'×{ratio:.2f}' if ratio < 10 else f'×{ratio:.0f}'


def _disclosure(d: eco_calibration.Disclosure) -> dict:
    return {
        'vendor': d.vendor,
        'figure': f'{d.figure:g} {d.unit}',
        'per': d.per,
        'boundary': d.boundary,
        'source': d.source,
        'url': d.url,
        'as_of': d.as_of,
    }
