"""Eco methodology v1: the one place every energy and carbon figure comes from.

The energy model is EcoLogits' published LLM-inference model (`compute_llm_impacts`): GPU energy per
output token as a function of the model's active parameters, plus the server's share and the
datacentre's PUE. Carbon is that energy times the grid intensity of the region that served it.

With no measured request latency, EcoLogits' model is exactly linear in output tokens, so it is
evaluated once per (model, PUE, grid intensity) at REFERENCE_TOKENS and scaled: the same numbers,
without re-running the model for every record.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import ecologits
from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts
from ecologits.utils.range_value import RangeValue

from services.catalog import Catalog, Model

ECOLOGITS_VERSION = '0.11.3'
METHODOLOGY_VERSION = f'eco-1 (EcoLogits {ECOLOGITS_VERSION})'
REFERENCE_TOKENS = 1000
WORLD_ZONE = 'WOR'
DEFAULT_PUE = 1.2  # used when a provider is not in the catalog; see the methodology page

if ecologits.__version__ != ECOLOGITS_VERSION:  # a different version would change numbers under stored records
    raise RuntimeError(f'lowrouter needs ecologits=={ECOLOGITS_VERSION}, found {ecologits.__version__}')


@dataclass(frozen=True)
class Span:
    """A central value with its low-high range."""

    low: float
    value: float
    high: float

    def scaled(self, factor: float) -> Span:
        return Span(self.low * factor, self.value * factor, self.high * factor)

    def as_dict(self) -> dict[str, float]:
        return {'low': self.low, 'value': self.value, 'high': self.high}


@dataclass(frozen=True)
class Estimate:
    energy_wh: Span
    carbon_g: Span
    grid_intensity_g_per_kwh: float
    estimated: bool
    methodology_version: str = METHODOLOGY_VERSION


def estimate(
    catalog: Catalog, model_id: str, provider_id: str | None, region_id: str | None, completion_tokens: int
) -> Estimate:
    """Energy and carbon of one generation. Input tokens are not counted by this model (a stated caveat)."""
    model = catalog.models[model_id]
    provider = catalog.providers.get(provider_id or '')
    pue = provider.pue if provider else DEFAULT_PUE
    intensity, fallback = grid_intensity(catalog, region_id)
    energy, carbon = per_output_token(model, pue, intensity)
    return Estimate(
        energy_wh=energy.scaled(completion_tokens),
        carbon_g=carbon.scaled(completion_tokens),
        grid_intensity_g_per_kwh=intensity,
        estimated=model.estimated or fallback or provider is None,
    )


def grid_intensity(catalog: Catalog, region_id: str | None) -> tuple[float, bool]:
    """(gCO2e/kWh, fell back to the world average?)"""
    region = catalog.regions.get(region_id or '')
    if region is not None:
        return region.grid_intensity_g_per_kwh, False
    return world_intensity(), True


@cache
def world_intensity() -> float:
    return electricity_mixes.find_electricity_mix(WORLD_ZONE).gwp * 1000


def energy_per_1k_output_tokens(model: Model, pue: float = DEFAULT_PUE) -> Span:
    energy, _ = per_output_token(model, pue, world_intensity())
    return energy.scaled(1000)


@cache
def per_output_token(model: Model, pue: float, intensity_g_per_kwh: float) -> tuple[Span, Span]:
    """(Wh, gCO2e) per output token, from EcoLogits evaluated at REFERENCE_TOKENS."""
    mix = electricity_mixes.find_electricity_mix(WORLD_ZONE)
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
    energy = _span(impacts.energy.value, 1000 / REFERENCE_TOKENS)  # kWh -> Wh, per token
    carbon = _span(impacts.usage.gwp.value, 1000 / REFERENCE_TOKENS)  # kgCO2e -> g, per token
    return energy, carbon


def _param(bounds: tuple[float, float]) -> float | RangeValue:
    low, high = bounds
    return low if low == high else RangeValue(min=low, max=high)


def _span(value: float | RangeValue, factor: float) -> Span:
    if isinstance(value, RangeValue):
        low, high = value.min * factor, value.max * factor
        return Span(low, (low + high) / 2, high)
    return Span(value * factor, value * factor, value * factor)
