"""Eco methodology eco-2: the one place every energy and carbon figure comes from.

Energy of a generation comes from two independent methods, kept as one range:
- (a) EcoLogits' own bottom-up model (services/eco/_ecologits.py), with its measured throughput and time to
  first token and the request's measured latency: the upper estimate;
- (b) a production-scale estimate calibrated to published measurements (services/eco/calibration.py): the
  central figure.
low = the lower of both, central = (b), high = the higher of both. Prompt tokens count through a per-token
factor; parameters, the fit's spread, PUE and the grid's recent years all widen the range.

Carbon = electricity (energy x the serving region's grid, services/eco/grid.py) + manufacturing (EcoLogits'
embodied emissions of the hardware for the time the request held it).

Every record carries the stamp METHODOLOGY_VERSION: method, EcoLogits version and a hash of the eco data
files, so a change of data changes the stamp and `python app.py eco-recompute` can bring records up to date.
Records of eco-1 are still computed by services/eco/_legacy.py for comparisons.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

import ecologits
from ecologits.electricity_mix_repository import electricity_mixes

from services.catalog import DATA, Catalog, Model
from services.eco import _ecologits as eco_ecologits
from services.eco import _legacy as eco_legacy
from services.eco import calibration, grid
from services.eco._span import Span

ECOLOGITS_VERSION = '0.11.3'
METHOD = 'eco-2'
LEGACY_VERSION = eco_legacy.VERSION
DEFAULT_PUE = grid.DEFAULT_PUE
WORLD_ZONE = 'WOR'
DATA_FILES = (
    'models.csv', 'providers.csv', 'regions.csv', 'grid.csv',
    'eco_calibration.csv', 'eco_factors.csv', 'eco_tiers.csv', 'eco_disclosures.csv',
)  # fmt: skip
CAVEATS = {
    'outside_band': 'Its central figure is outside the review band for its class of model.',
    'estimated_size': 'The model does not publish its size; its parameters are an estimate.',
    'grid_fallback': 'No grid data for this region: a country or world average was used.',
}

if ecologits.__version__ != ECOLOGITS_VERSION:  # a different version would change numbers under stored records
    raise RuntimeError(f'lowrouter needs ecologits=={ECOLOGITS_VERSION}, found {ecologits.__version__}')


def data_hash(folder=DATA) -> str:
    """The first 8 hex digits of a SHA-256 over the eco data files (line endings normalised)."""
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(name.encode() + b'\0' + (folder / name).read_bytes().replace(b'\r\n', b'\n') + b'\0')
    return digest.hexdigest()[:8]


METHODOLOGY_VERSION = f'{METHOD} · EcoLogits {ECOLOGITS_VERSION} · data {data_hash()}'


def computable(version: str) -> bool:
    return version in (METHODOLOGY_VERSION, LEGACY_VERSION)


@dataclass(slots=True)  # not frozen: a frozen dataclass costs microseconds to build, ingestion builds one a row
class Estimate:
    energy_wh: Span
    input_energy_wh: float
    carbon_g: Span  # electricity + manufacturing
    embodied_g: Span
    grid_intensity_g_per_kwh: float
    grid_basis: str | None
    pue: float | None
    estimated: bool
    methodology_version: str = METHODOLOGY_VERSION
    caveats: tuple[str, ...] = ()
    methods: dict[str, Span] = field(default_factory=dict, compare=False)  # 'ecologits', 'calibrated' energy

    def columns(self) -> dict:
        """The generation columns this estimate fills."""
        e, c, m = self.energy_wh, self.carbon_g, self.embodied_g
        return {
            'energy_wh_low': e.low, 'energy_wh': e.value, 'energy_wh_high': e.high,
            'carbon_g_low': c.low, 'carbon_g': c.value, 'carbon_g_high': c.high,
            'embodied_g_low': m.low, 'embodied_g': m.value, 'embodied_g_high': m.high,
            'input_energy_wh': self.input_energy_wh, 'pue': self.pue, 'grid_basis': self.grid_basis,
            'grid_intensity_g_per_kwh': self.grid_intensity_g_per_kwh,
            'methodology_version': self.methodology_version, 'estimated': self.estimated,
        }  # fmt: skip


def estimate(
    catalog: Catalog,
    model_id: str,
    provider_id: str | None,
    region_id: str | None,
    completion_tokens: int,
    *,
    prompt_tokens: int = 0,
    latency_ms: int | None = None,
    requests: int = 1,
    version: str | None = None,
) -> Estimate:
    """Energy and carbon of one generation, or with `requests` > 1 (and no latency) the exact total of that
    many generations with these token totals. `version` picks the methodology (default: the current one)."""
    if version is not None and version != METHODOLOGY_VERSION:
        if version != LEGACY_VERSION:
            raise ValueError(f'cannot compute methodology {version!r}')
        old = eco_legacy.estimate(catalog, model_id, provider_id, region_id, completion_tokens)
        return Estimate(old.energy_wh, 0.0, old.carbon_g, Span.zero(), old.intensity, None, None, old.estimated,
                        LEGACY_VERSION)  # fmt: skip
    profile = _profile(catalog, model_id, provider_id, region_id)
    latency_s = latency_ms / 1000 if latency_ms and latency_ms > 0 and requests == 1 else None
    energy = _energy(
        profile.ends, profile.per_token, profile.pue, prompt_tokens, completion_tokens, latency_s, requests
    )
    low_i, mid_i, high_i = profile.intensity
    total, embodied = energy.total, energy.embodied_g
    carbon = Span(
        total.low * low_i / 1000 + embodied.low,
        total.value * mid_i / 1000 + embodied.value,
        total.high * high_i / 1000 + embodied.high,
    )
    return Estimate(
        energy_wh=total,
        input_energy_wh=energy.input_wh,
        carbon_g=carbon,
        embodied_g=embodied,
        grid_intensity_g_per_kwh=mid_i,
        grid_basis=profile.basis,
        pue=profile.pue[1],
        estimated=profile.estimated,
        caveats=profile.caveats,
        methods={'ecologits': energy.ecologits, 'calibrated': energy.calibrated},
    )


@dataclass(frozen=True)
class _Profile:
    """What a (model, provider, region) contributes to every estimate, worked out once."""

    ends: tuple[eco_ecologits.Coefficients, eco_ecologits.Coefficients]
    per_token: tuple[float, float, float]  # method (b), Wh per output token at the reference PUE
    pue: tuple[float, float, float]
    intensity: tuple[float, float, float]
    basis: str
    estimated: bool
    caveats: tuple[str, ...]


@cache
def _profile(catalog: Catalog, model_id: str, provider_id: str | None, region_id: str | None) -> _Profile:
    model = catalog.models[model_id]
    site = grid.grid_factors(catalog, region_id, provider_id)
    fell_back = site.basis in ('country', 'world')
    return _Profile(
        ends=eco_ecologits.coefficients(model),
        per_token=_calibrated_per_token(model),
        pue=site.pue,
        intensity=site.intensity,
        basis=site.basis,
        estimated=model.estimated or fell_back or provider_id not in catalog.providers,
        caveats=model_caveats(model) + (('grid_fallback',) if fell_back else ()),
    )


class Energy(NamedTuple):
    total: Span  # Wh
    input_wh: float  # central Wh of the prompt tokens
    embodied_g: Span
    ecologits: Span  # method (a), Wh
    calibrated: Span  # method (b), Wh


def energy_of(
    model: Model,
    pue: tuple[float, float, float],
    prompt_tokens: float,
    completion_tokens: float,
    latency_s: float | None = None,
    requests: float = 1,
) -> Energy:
    return _energy(
        eco_ecologits.coefficients(model), _calibrated_per_token(model), pue, prompt_tokens, completion_tokens,
        latency_s, requests,
    )  # fmt: skip


def _energy(
    coefficients: tuple[eco_ecologits.Coefficients, eco_ecologits.Coefficients],
    per_token: tuple[float, float, float],
    pue: tuple[float, float, float],
    prompt_tokens: float,
    completion_tokens: float,
    latency_s: float | None,
    requests: float,
) -> Energy:
    factor = _input_factor()
    f_low, f_mid, f_high = factor.low, factor.value, factor.high
    (low, high), ref = coefficients, _reference_pue()
    # method (a) at both ends of the parameter range (low end with the low prompt factor and PUE)
    s_low = low.generation_seconds(completion_tokens, latency_s, requests)
    s_high = high.generation_seconds(completion_tokens, latency_s, requests)
    a_low = pue[0] * 1000 * (low.it_kwh(completion_tokens, s_low) + f_low * prompt_tokens * low.it_kwh_per_token)
    a_high = pue[2] * 1000 * (high.it_kwh(completion_tokens, s_high) + f_high * prompt_tokens * high.it_kwh_per_token)
    e_low = 1000 * low.embodied_kg(s_low + f_low * prompt_tokens * low.seconds_per_token)
    e_high = 1000 * high.embodied_kg(s_high + f_high * prompt_tokens * high.seconds_per_token)
    # method (b): per effective token, at the record's PUE
    b_low = per_token[0] * pue[0] / ref * (completion_tokens + f_low * prompt_tokens)
    b_mid = per_token[1] * pue[1] / ref * (completion_tokens + f_mid * prompt_tokens)
    b_high = per_token[2] * pue[2] / ref * (completion_tokens + f_high * prompt_tokens)
    input_wh = per_token[1] * pue[1] / ref * f_mid * prompt_tokens
    return Energy(
        total=Span(min(a_low, b_low), b_mid, max(a_high, b_high)),
        input_wh=input_wh,
        embodied_g=Span(e_low, (e_low + e_high) / 2, e_high),
        ecologits=Span(a_low, (a_low + a_high) / 2, a_high),
        calibrated=Span(b_low, b_mid, b_high),
    )


@cache
def _calibrated_per_token(model: Model) -> tuple[float, float, float]:
    fit = calibration.fit()
    low, high = model.active_params_b
    return (
        fit.wh_per_output_token(low) / fit.spread,
        fit.wh_per_output_token((low + high) / 2),
        fit.wh_per_output_token(high) * fit.spread,
    )


def central_wh_per_1k_output(model: Model) -> float:
    """The calibrated central figure at the reference PUE: what the review band is checked against."""
    return _calibrated_per_token(model)[1] * 1000


def energy_per_1k_output_tokens(model: Model, pue: float = DEFAULT_PUE) -> Span:
    return energy_of(model, (pue, pue, pue), 0, 1000).total


def model_caveats(model: Model) -> tuple[str, ...]:
    caveats = ('estimated_size',) if model.estimated else ()
    return caveats + (('outside_band',) if band_status(model)[0] != 'inside' else ())


@cache
def band_status(model: Model) -> tuple[str, str]:
    """('inside' | 'below' | 'above', the sentence that says why) for the model's central figure."""
    tier, _ = calibration.tiers().get(model.id, ('mid', ''))
    low, high = calibration.band(tier)
    value = central_wh_per_1k_output(model)
    if low <= value <= high:
        return 'inside', ''
    where = 'below' if value < low else 'above'
    active, total = model.active_params_b, model.total_params_b
    if model.estimated:
        why = f'its size is not published and EcoLogits estimates {_b(active)} active parameters'
    elif active[1] < total[0]:
        why = f'it is a mixture of experts that uses {_b(active)} of its {_b(total)} parameters per token'
    else:
        why = f'it has {_b(active)} parameters'
    return where, (
        f'{model.name}: {value:.2f} Wh per 1 000 output tokens is {where} the {tier} band '
        f'({low:g}-{high:g} Wh) because {why}.'
    )


def _b(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f'{low:g}B' if low == high else f'{low:g}-{high:g}B'


@cache
def _input_factor() -> calibration.Factor:
    return calibration.input_factor()


@cache
def _reference_pue() -> float:
    return calibration.reference_pue()


@cache
def world_intensity() -> float:
    return electricity_mixes.find_electricity_mix(WORLD_ZONE).gwp * 1000
