"""The verdict: energy and carbon of a window against the same usage with a baseline model, in words.

Each metric is judged only beyond the uncertainty: 'lower' when the baseline's low end is above the actual
high end, 'higher' the other way round, 'within' when the two ranges overlap. `verdict_sentence` gives the
words the panel, the API and the weekly e-mail share; no figure in them is ever negative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Literal

from services.eco._span import Span
from services.locales import DEFAULT
from services.units import carbon_text, count_text, energy_text, fixed_text

TOLERANCE = 1e-6  # relative: ranges closer than this touch (sums of stored records vs one computed total)
RATIO_FROM = 2.0  # "3.2×" instead of "220 % more" above this ratio
Verdict = Literal['lower', 'higher', 'within', 'no_usage', 'not_comparable']
NO_USAGE = 'No usage in this window yet.'


@dataclass(frozen=True)
class Comparison:
    """The comparable usage of a window and the same usage with the baseline model (each a total)."""

    baseline_name: str
    requests: int
    energy_wh: Span
    carbon_g: Span
    embodied_g: Span
    baseline_energy_wh: Span
    baseline_carbon_g: Span
    baseline_embodied_g: Span

    @property
    def energy_verdict(self) -> Verdict:
        return _judge(self.energy_wh, self.baseline_energy_wh) if self.requests else 'no_usage'

    @property
    def carbon_verdict(self) -> Verdict:
        return _judge(self.carbon_g, self.baseline_carbon_g) if self.requests else 'no_usage'


def verdict_sentence(c: Comparison, locale: str = DEFAULT) -> str:
    """The words that go with the numbers: one sentence on energy, one on carbon, and, when the two point
    different ways, one on why. The panel, the API's `summary` and e-mails all use this; its numbers read in
    `locale`."""
    if not c.requests:
        return NO_USAGE
    energy, carbon = c.energy_verdict, c.carbon_verdict
    sentences = [_energy_sentence(energy, c, locale), _carbon_sentence(carbon, c, locale)]
    if {energy, carbon} == {'lower', 'higher'}:
        sentences.append(_why_carbon_differs(c, carbon))
    return ' '.join(sentences)


@dataclass(frozen=True)
class _Words:
    """How one metric is worded: the figures differ, the sentence's shape does not."""

    saved: str  # 'You saved {amount} of energy' / 'You avoided {amount}'
    used: str  # 'used' / 'emitted'
    noun: str  # 'energy' / 'carbon'
    own: str  # 'energy use' / 'carbon'


ENERGY_WORDS = _Words('You saved {amount} of energy', 'used', 'energy', 'energy use')
CARBON_WORDS = _Words('You avoided {amount}', 'emitted', 'carbon', 'carbon')


def _energy_sentence(verdict: Verdict, c: Comparison, locale: str) -> str:
    text = partial(energy_text, locale=locale)
    return _sentence(
        verdict, c.energy_wh.value, c.baseline_energy_wh.value, c.baseline_name, ENERGY_WORDS, text, locale
    )


def _carbon_sentence(verdict: Verdict, c: Comparison, locale: str) -> str:
    text = partial(carbon_text, locale=locale)
    return _sentence(verdict, c.carbon_g.value, c.baseline_carbon_g.value, c.baseline_name, CARBON_WORDS, text, locale)


def _sentence(verdict: Verdict, actual: float, base: float, name: str, words: _Words, text, locale: str) -> str:
    if verdict == 'lower':
        saved = words.saved.format(amount=text(abs(base - actual)))
        return f'{saved} ({_less_pct(actual, base, locale)} % less) compared with {name}.'
    if verdict == 'higher':
        ratio = _ratio(actual, base)
        if ratio is None:
            return f'You {words.used} more {words.noun} than {name} would have.'
        if ratio > RATIO_FROM:
            return f'You {words.used} {fixed_text(ratio, 1, locale)}× the {words.noun} {name} would have.'
        return f'You {words.used} {_more_pct(ratio, locale)} % more {words.noun} than {name} would have.'
    return f"Your {words.own} is within the uncertainty of {name}'s{_centrals(actual, base, locale)}."


def _why_carbon_differs(c: Comparison, carbon: Verdict) -> str:
    """Carbon went the other way from energy. Carbon = energy x grid intensity + manufacturing, so the carbon
    difference splits exactly into an energy part, a grid part (the intensity of where the energy was used)
    and a manufacturing part; the larger of the two parts that worked against energy is named."""
    energy_a, energy_b = c.energy_wh.value, c.baseline_energy_wh.value
    electricity_a = c.carbon_g.value - c.embodied_g.value
    electricity_b = c.baseline_carbon_g.value - c.baseline_embodied_g.value
    intensity_b = electricity_b / energy_b if energy_b > 0 else 0.0  # g per Wh
    grid_part = electricity_a - energy_a * intensity_b  # = energy_a x (intensity_a - intensity_b)
    manufacturing_part = c.embodied_g.value - c.baseline_embodied_g.value
    sign = 1 if carbon == 'higher' else -1  # the direction carbon went
    if sign * grid_part >= sign * manufacturing_part:
        cleaner = 'more carbon-intensive' if carbon == 'higher' else 'cleaner'
        return f'Carbon differs from energy because more of your energy was used in regions with {cleaner} electricity.'
    share = 'larger' if carbon == 'higher' else 'smaller'
    return (
        f'Carbon differs from energy because your usage has a {share} share of hardware manufacturing carbon '
        f'than {c.baseline_name} would have.'
    )


def _judge(actual: Span, baseline: Span) -> Verdict:
    a_low, a_high = min(actual.low, actual.value, actual.high), max(actual.low, actual.value, actual.high)
    b_low, b_high = min(baseline.low, baseline.value, baseline.high), max(baseline.low, baseline.value, baseline.high)
    if b_low > a_high * (1 + TOLERANCE) and b_low - a_high > 1e-12:
        return 'lower'
    if a_low > b_high * (1 + TOLERANCE) and a_low - b_high > 1e-12:
        return 'higher'
    return 'within'


def _less_pct(actual: float, base: float, locale: str = DEFAULT) -> str:
    ratio = _ratio(actual, base)
    return _pct(100 * abs(1 - ratio), locale) if ratio is not None else '100'


def _more_pct(ratio: float, locale: str = DEFAULT) -> str:
    return _pct(100 * abs(ratio - 1), locale)


def _pct(value: float, locale: str = DEFAULT) -> str:
    """A whole percent that never rounds a difference away: not 0 % for 0.3 %, not 100 % less for 99.7 %."""
    whole = round(value)
    if whole < 1:
        return 'under 1'
    return '99' if whole == 100 and value < 100 else count_text(whole, locale)


def _ratio(actual: float, base: float) -> float | None:
    """actual / base, or None when that is no number worth printing (a zero or vanishing baseline)."""
    ratio = abs(actual / base) if base > 0 else math.inf
    return ratio if ratio < 1e12 else None


def _centrals(actual: float, base: float, locale: str = DEFAULT) -> str:
    """' (12 % lower at the central estimates)', or '' when the central estimates are equal to the percent."""
    ratio = _ratio(actual, base)
    if ratio is None or round(100 * abs(ratio - 1)) == 0:
        return ''
    if ratio < 1:
        return f' ({_less_pct(actual, base, locale)} % lower at the central estimates)'
    if ratio > RATIO_FROM:
        return f' ({fixed_text(ratio, 1, locale)}× as much at the central estimates)'
    return f' ({_more_pct(ratio, locale)} % higher at the central estimates)'
