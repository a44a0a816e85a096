"""Methodology eco-1, frozen: what computed records stamped 'eco-1 (EcoLogits 0.11.3)'.

eco-1 took EcoLogits' model with its latency regression (no measured throughput, no request latency), the
provider's fleet PUE and the country-average grid of the region, counted output tokens only and electricity
only. It stays here, unchanged, so records of eco-1 are still compared with a baseline of the same version
until `eco-recompute` brings them to the current methodology.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

from services.catalog import Catalog, Model
from services.eco._span import Span

VERSION = 'eco-1 (EcoLogits 0.11.3)'
REFERENCE_TOKENS = 1000
DEFAULT_PUE = 1.2


@dataclass(frozen=True)
class LegacyEstimate:
    energy_wh: Span
    carbon_g: Span
    intensity: float
    estimated: bool


def estimate(
    catalog: Catalog, model_id: str, provider_id: str | None, region_id: str | None, completion_tokens: int
) -> LegacyEstimate:
    model = catalog.models[model_id]
    provider = catalog.providers.get(provider_id or '')
    region = catalog.regions.get(region_id or '')
    intensity = region.grid_intensity_g_per_kwh if region else _world_intensity()
    energy, carbon = _per_output_token(model, provider.pue if provider else DEFAULT_PUE, intensity)
    return LegacyEstimate(
        energy.scaled(completion_tokens),
        carbon.scaled(completion_tokens),
        intensity,
        model.estimated or region is None or provider is None,
    )


@cache
def _world_intensity() -> float:
    return electricity_mixes.find_electricity_mix('WOR').gwp * 1000


@cache
def _per_output_token(model: Model, pue: float, intensity_g_per_kwh: float) -> tuple[Span, Span]:
    mix = electricity_mixes.find_electricity_mix('WOR')
    impacts = compute_llm_impacts(
        model_active_parameter_count=_param(model.active_params_b),
        model_total_parameter_count=_param(model.total_params_b),
        output_token_count=REFERENCE_TOKENS,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=intensity_g_per_kwh / 1000,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=pue,
        datacenter_wue=0.0,
    )
    return _span(impacts.energy.value, 1000 / REFERENCE_TOKENS), _span(impacts.usage.gwp.value, 1000 / REFERENCE_TOKENS)


def _param(bounds: tuple[float, float]) -> float | RangeValue:
    low, high = bounds
    return low if low == high else RangeValue(min=low, max=high)


def _span(value: float | RangeValue, factor: float) -> Span:
    if isinstance(value, RangeValue):
        low, high = value.min * factor, value.max * factor
        return Span(low, (low + high) / 2, high)
    return Span(value * factor, value * factor, value * factor)
