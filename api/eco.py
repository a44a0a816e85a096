"""Eco figures and the catalog over HTTP: the same service functions as the dashboard panel."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from api.deps import Authorization, ReadKey, ReadSessionDep, account_of, require
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.catalog import AutoModel, CatalogModel, EcoOut, ModelList
from services.catalog import AUTO_MODEL, get_catalog
from services.eco import calibration as eco_calibration
from services.eco import estimate as eco
from services.eco.impact import caveat_anchor, caveat_text, eco_impact
from services.models import ApiKey
from services.routing import policies

router = APIRouter(prefix='/api/v1', tags=['eco'], responses=ERROR_RESPONSES)


ECO_DESCRIPTION = """The window's energy (Wh) and carbon (g CO2e, with its manufacturing part `embodied_g`), each as
`{low, value, high}`, against the same usage with the baseline model, computed with the same methodology version
as the records it compares.

`energy_verdict` and `carbon_verdict` are each `lower` (the baseline's low end is above your high end),
`higher` (your low end is above the baseline's high end), `within` (the ranges overlap), `no_usage`, or
`not_comparable` (every record of the window has a methodology version that can no longer be computed).
`summary` is the sentence the dashboard shows. `compared` is the part of the window in the comparison: all of
it unless `not_comparable_versions` names versions left out."""

MODELS_DESCRIPTION = """OpenAI's model list (`{"object": "list", "data": [...]}`, so `client.models.list()` works),
`lowrouter/auto` first. Each entry has OpenAI's `id`, `object`, `created` (the Unix time of the catalog row's
`as_of` date) and `owned_by` (the vendor), and the catalog's own fields: parameters, the energy estimate per
1 000 output tokens with its review band and the vendor's own figures, and every offer with its prices (USD per
million tokens), region, grid and carbon per 1 000 tokens. `lowrouter/auto` lists the auto pool and strategy
in force for the calling key."""


def listing_key(request: Request, authorization: Authorization = None) -> Iterator[ApiKey]:
    """A key with the read or the inference scope. An OpenAI client lists models with the key it sends
    completions with, so an inference-only key may read the catalog too (it is the same for every account;
    the only account data here is the key's own auto pool, which it routes with anyway)."""
    with ExitStack() as stack:
        try:
            key = stack.enter_context(contextmanager(require('read'))(request, authorization))
        except APIError as refused:
            if refused.status != 403:
                raise
            try:
                key = stack.enter_context(contextmanager(require('inference'))(request, authorization))
            except APIError as again:
                if again.status != 403:
                    raise
                raise APIError(403, 'forbidden', 'this key lacks the read or the inference scope') from None
        yield key


ListingKey = Annotated[ApiKey, Depends(listing_key, scope='function')]


@router.get(
    '/eco',
    response_model=EcoOut,
    summary='Eco impact of a window against a baseline (scope: read)',
    description=ECO_DESCRIPTION,
)
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


@router.get(
    '/models',
    response_model=ModelList,
    summary='The catalog in the OpenAI list shape: models, offers, prices and eco figures (scope: read or inference)',
    description=MODELS_DESCRIPTION,
)
def list_models(key: ListingKey, session: ReadSessionDep) -> dict:
    catalog = get_catalog()
    data = [_auto_entry(session, key), *(_entry(catalog, model) for model in catalog.models.values())]
    return {'object': 'list', 'data': data, 'methodology_version': eco.METHODOLOGY_VERSION}


@router.get(
    '/models/{model_id:path}',
    response_model=AutoModel | CatalogModel,
    summary='One model of the catalog, as in the list (scope: read or inference)',
    responses=documented(404, 'No model with this id', 'not_found', "no model 'acme/unknown'; see GET /api/v1/models"),
)
def get_model(model_id: str, key: ListingKey, session: ReadSessionDep) -> dict:
    catalog = get_catalog()
    if model_id == AUTO_MODEL:
        return _auto_entry(session, key)
    model = catalog.models.get(model_id)
    if model is None:
        raise APIError(404, 'not_found', f'no model {model_id!r}; see GET /api/v1/models')
    return _entry(catalog, model)


def _auto_entry(session, key) -> dict:
    """lowrouter/auto, with the auto pool and strategy in force for the calling key."""
    settings, _ = policies.effective(session, account_of(session, key), key.id)
    policy = policies.to_policy(settings)  # an unset auto pool is the default pool, as routing reads it
    return {
        'id': AUTO_MODEL,
        'object': 'model',
        'created': _catalog_created(),
        'owned_by': 'lowrouter',
        'name': 'Auto',
        'description': (
            'lowrouter picks a model of the auto pool and one of its offers for each request, by the routing '
            "strategy set on Auto-routing (the account default or this key's override)."
        ),
        'auto_pool': list(policy.auto_pool),
        'strategy': policy.strategy,
    }


def _entry(catalog, model) -> dict:
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
    return {
        'id': model.id,
        'object': 'model',
        'created': _unix(model.as_of),
        'owned_by': model.vendor,
        'name': model.name,
        'vendor': model.vendor,
        'open_weights': model.open_weights,
        'total_params_b': list(model.total_params_b),
        'active_params_b': list(model.active_params_b),
        'params_status': model.params_status,
        'params_source': model.params_source,
        'as_of': model.as_of,
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


def _unix(day: str) -> int:
    """A catalog date (YYYY-MM-DD) as the Unix time of its midnight UTC: OpenAI's `created`."""
    return int(datetime.combine(date.fromisoformat(day), time.min, tzinfo=UTC).timestamp())


def _catalog_created() -> int:
    """lowrouter/auto's `created`: the newest model row of the catalog."""
    return max(_unix(m.as_of) for m in get_catalog().models.values())


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
