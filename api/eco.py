"""Eco figures and the catalog over HTTP: the same service functions as the dashboard panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError
from services import eco, eco_calibration
from services.catalog import get_catalog
from services.eco_impact import caveat_anchor, caveat_text, eco_impact

router = APIRouter(prefix='/api/v1', tags=['eco'], responses=ERROR_RESPONSES)


ECO_DESCRIPTION = """The window's energy (Wh) and carbon (g CO2e, with its manufacturing part `embodied_g`), each as
`{low, value, high}`, against the same usage with the baseline model, computed with the same methodology version
as the records it compares.

`energy_verdict` and `carbon_verdict` are each `lower` (the baseline's low end is above your high end),
`higher` (your low end is above the baseline's high end), `within` (the ranges overlap), `no_usage`, or
`not_comparable` (every record of the window has a methodology version that can no longer be computed).
`summary` is the sentence the dashboard shows. `compared` is the part of the window in the comparison: all of
it unless `not_comparable_versions` names versions left out."""


@router.get('/eco', summary='Eco impact of a window against a baseline (scope: read)', description=ECO_DESCRIPTION)
def get_eco(
    session: ReadSessionDep,
    key: ReadKey,
    days: Annotated[int, Query(ge=1, le=365, description='window in days, ending today')] = 30,
    baseline: Annotated[str | None, Query(description='baseline model id; default: the account setting')] = None,
    model: Annotated[str | None, Query(description='only usage of this model')] = None,
) -> dict:
    account = account_of(session, key)
    catalog = get_catalog()
    if baseline is not None and baseline not in catalog.models:
        raise APIError(422, 'invalid', f'baseline: unknown model {baseline!r}; see GET /api/v1/models')
    impact = eco_impact(session, account, days=days, baseline=baseline, model=model)
    compared = impact.comparison
    return {
        'days': impact.days,
        'since': impact.since.isoformat(),
        'model': model,
        'requests': impact.requests,
        'prompt_tokens': impact.prompt_tokens,
        'completion_tokens': impact.completion_tokens,
        'energy_wh': impact.energy_wh.as_dict(),
        'carbon_g': impact.carbon_g.as_dict(),
        'embodied_g': impact.embodied_g.as_dict(),
        'compared': {
            'requests': compared.requests,
            'energy_wh': compared.energy_wh.as_dict(),
            'carbon_g': compared.carbon_g.as_dict(),
            'embodied_g': compared.embodied_g.as_dict(),
        },
        'baseline': {
            'model': impact.baseline_model,
            'name': compared.baseline_name,
            'energy_wh': compared.baseline_energy_wh.as_dict(),
            'carbon_g': compared.baseline_carbon_g.as_dict(),
            'embodied_g': compared.baseline_embodied_g.as_dict(),
        },
        'energy_verdict': impact.energy_verdict,
        'carbon_verdict': impact.carbon_verdict,
        'summary': impact.summary,
        'reduced_confidence': impact.reduced_confidence,
        'caveats': [
            {'code': c, 'message': caveat_text(impact, c), 'link': f'/eco/methodology#{caveat_anchor(c)}'}
            for c in impact.caveats
        ],
        'methodology_versions': impact.methodology_versions,
        'not_comparable_versions': impact.not_comparable_versions,
    }


@router.get('/models', summary='The catalog: models, offers, prices and eco figures per 1 000 tokens (scope: read)')
def get_models(_key: ReadKey) -> dict:
    catalog = get_catalog()
    items = []
    for model in catalog.models.values():
        offers = []
        for offer in catalog.offers_for(model.id):
            impact = eco.estimate(catalog, model.id, offer.provider, offer.region, 1000)
            offers.append(
                {
                    'provider': offer.provider,
                    'region': offer.region,
                    'input_usd_per_mtok': str(offer.input_usd_per_mtok),
                    'output_usd_per_mtok': str(offer.output_usd_per_mtok),
                    'typical_latency_ms': offer.typical_latency_ms,
                    'grid_intensity_g_per_kwh': impact.grid_intensity_g_per_kwh,
                    'grid_basis': impact.grid_basis,
                    'pue': impact.pue,
                    'energy_wh_per_1k_output_tokens': impact.energy_wh.as_dict(),
                    'carbon_g_per_1k_tokens': impact.carbon_g.as_dict(),
                    'embodied_g_per_1k_tokens': impact.embodied_g.as_dict(),
                    'price_source': offer.price_source,
                    'as_of': offer.as_of,
                }
            )
        items.append(
            {
                'id': model.id,
                'name': model.name,
                'vendor': model.vendor,
                'open_weights': model.open_weights,
                'total_params_b': list(model.total_params_b),
                'active_params_b': list(model.active_params_b),
                'params_status': model.params_status,
                'params_source': model.params_source,
                'energy_wh_per_1k_output_tokens': eco.energy_per_1k_output_tokens(model).as_dict(),
                'review_band': _band(model),
                'vendor_disclosures': [
                    {
                        'figure': d.figure,
                        'unit': d.unit,
                        'per': d.per,
                        'boundary': d.boundary,
                        'source': d.source,
                        'url': d.url,
                        'as_of': d.as_of,
                    }
                    for d in eco_calibration.disclosures_for(model.id)
                ],
                'offers': offers,
            }
        )
    return {'items': items, 'methodology_version': eco.METHODOLOGY_VERSION}


def _band(model) -> dict:
    """The review band of the model's class, and whether its central figure is inside it (and why not)."""
    tier, _ = eco_calibration.tiers().get(model.id, ('mid', ''))
    low, high = eco_calibration.band(tier)
    status, why = eco.band_status(model)
    return {
        'tier': tier,
        'low_wh_per_1k_output_tokens': low,
        'high_wh_per_1k_output_tokens': high,
        'central_wh_per_1k_output_tokens': eco.central_wh_per_1k_output(model),
        'status': status,
        'caveat': why or None,
    }
