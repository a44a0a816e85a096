"""Eco figures and the catalog over HTTP: the same service functions as the dashboard panel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError
from services import eco
from services.catalog import get_catalog
from services.eco_impact import CAVEATS, caveat_anchor, eco_impact, verdict_sentence

router = APIRouter(prefix='/api/v1', tags=['eco'], responses=ERROR_RESPONSES)


@router.get('/eco', summary='Eco impact of a window against a baseline (scope: read)')
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
    return {
        'days': impact.days,
        'since': impact.since.isoformat(),
        'model': model,
        'requests': impact.requests,
        'completion_tokens': impact.completion_tokens,
        'energy_wh': impact.energy_wh.as_dict(),
        'carbon_g': impact.carbon_g.as_dict(),
        'baseline': {
            'model': impact.baseline_model,
            'energy_wh': impact.baseline_energy_wh.as_dict(),
            'carbon_g': impact.baseline_carbon_g.as_dict(),
        },
        'verdict': impact.verdict,
        'summary': verdict_sentence(impact, catalog.models[impact.baseline_model].name),
        'carbon_difference_g': impact.carbon_difference_g,
        'carbon_difference_pct': impact.carbon_difference_pct,
        'energy_difference_pct': impact.energy_difference_pct,
        'reduced_confidence': impact.reduced_confidence,
        'caveats': [
            {'code': c, 'message': CAVEATS[c], 'link': f'/eco/methodology#{caveat_anchor(c)}'} for c in impact.caveats
        ],
        'methodology_versions': impact.methodology_versions,
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
                    'energy_wh_per_1k_output_tokens': impact.energy_wh.as_dict(),
                    'carbon_g_per_1k_tokens': impact.carbon_g.as_dict(),
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
                'offers': offers,
            }
        )
    return {'items': items, 'methodology_version': eco.METHODOLOGY_VERSION}
