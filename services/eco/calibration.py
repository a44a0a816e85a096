"""Method (b) of eco-2: a production-scale estimate calibrated to published measurements.

Energy per output token follows a power law of the model's active parameters, fitted in log space to the
`fit` rows of data/eco_calibration.csv (each a published measurement, with its token counts and range):

    Wh per output token = c · P^a · PUE / reference PUE,      P = active parameters in billions
    a prompt token      = input factor × an output token      (data/eco_factors.csv)

The fit is computed from the data files when lowrouter starts, so the page that documents it and the
numbers on every record come from the same rows. Its spread (the largest ratio between a reference and the
fitted line) widens the range of every estimate.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache

from services.catalog import DATA


@dataclass(frozen=True)
class Reference:
    id: str
    use: str  # fit | check
    source: str
    url: str
    published: str
    model_class: str
    active_params_b: float
    prompt_tokens: int
    completion_tokens: int
    wh_low: float
    wh: float
    wh_high: float
    boundary: str
    range_note: str


@dataclass(frozen=True)
class Factor:
    name: str
    low: float
    value: float | None
    high: float
    unit: str
    source: str


@dataclass(frozen=True)
class Fit:
    coefficient: float  # c: Wh per output token at 1B active parameters and the reference PUE
    exponent: float  # a
    spread: float  # >= 1: the largest ratio between a fitted reference and the line, either way

    def wh_per_output_token(self, active_params_b: float) -> float:
        return self.coefficient * active_params_b**self.exponent


@dataclass(frozen=True)
class Disclosure:
    vendor: str
    models: tuple[str, ...]
    figure: float
    unit: str
    per: str
    boundary: str
    source: str
    url: str
    as_of: str


def references() -> list[Reference]:
    return list(_references())


@cache
def _references() -> tuple[Reference, ...]:
    numbers = ('active_params_b', 'wh_low', 'wh', 'wh_high')
    counts = ('prompt_tokens', 'completion_tokens')
    fields = Reference.__dataclass_fields__
    return tuple(
        Reference(**{
            k: float(v) if k in numbers else int(v) if k in counts else v for k, v in row.items() if k in fields
        })
        for row in _rows('eco_calibration.csv')
    )  # fmt: skip


@cache
def factors() -> dict[str, Factor]:
    return {
        r['name']: Factor(
            r['name'], float(r['low']), float(r['value']) if r['value'] else None, float(r['high']), r['unit'],
            r['source'],
        )
        for r in _rows('eco_factors.csv')
    }  # fmt: skip


def input_factor() -> Factor:
    return factors()['input_token_factor']


def reference_pue() -> float:
    return factors()['reference_pue'].value or 1.2


def band(tier: str) -> tuple[float, float]:
    """(low, high) Wh per 1 000 output tokens that a model of this tier's central figure should fall in."""
    f = factors()[f'band_{tier}']
    return f.low, f.high


@cache
def tiers() -> dict[str, tuple[str, str]]:
    """model id -> (frontier | mid | small, why)."""
    return {r['model']: (r['tier'], r['reason']) for r in _rows('eco_tiers.csv')}


@cache
def disclosures() -> tuple[Disclosure, ...]:
    return tuple(
        Disclosure(
            r['vendor'], tuple(r['models'].split(';')), float(r['figure']), r['unit'], r['per'], r['boundary'],
            r['source'], r['url'], r['as_of'],
        )
        for r in _rows('eco_disclosures.csv')
    )  # fmt: skip


def disclosures_for(model_id: str) -> list[Disclosure]:
    return [d for d in disclosures() if model_id in d.models]


def effective_tokens(prompt_tokens: float, completion_tokens: float, factor: float) -> float:
    return completion_tokens + factor * prompt_tokens


@cache
def fit() -> Fit:
    """Least squares of log(Wh per effective token) on log(active parameters) over the `fit` references."""
    points = [
        (
            math.log(r.active_params_b),
            math.log(r.wh / effective_tokens(r.prompt_tokens, r.completion_tokens, input_factor().value or 0)),
        )
        for r in _references()
        if r.use == 'fit'
    ]
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)
    intercept = mean_y - slope * mean_x
    spread = max(math.exp(abs(y - (intercept + slope * x))) for x, y in points)
    return Fit(math.exp(intercept), slope, spread)


def reference_estimate(reference: Reference) -> float:
    """The calibrated estimate (Wh) for a reference's own scenario, at the reference PUE."""
    tokens = effective_tokens(reference.prompt_tokens, reference.completion_tokens, input_factor().value or 0)
    return fit().wh_per_output_token(reference.active_params_b) * tokens


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f))
