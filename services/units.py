"""Numbers for reading, shared by pages, e-mails and documents: tokens in k/M, energy in mWh/Wh/kWh, carbon in
mg/g/kg CO2e.

A single figure picks the unit that suits it. A column or list of figures picks one unit for all of them (from
its largest value, `energy_unit` / `carbon_unit`) and passes it to `energy_text` / `carbon_text`, so one table
never mixes mg and g.

Every function takes the reader's `locale` (services/locales.py) for its separators: '1,234.5' in en_US,
'1.234,5' in de_DE, '1,23,456' in en_IN.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from copy import copy
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, format_decimal, parse_pattern

from services.locales import DEFAULT

ENERGY_UNITS = {'kWh': 1000.0, 'Wh': 1.0, 'mWh': 0.001}  # unit -> Wh in one unit
CARBON_UNITS = {'kg CO2e': 1000.0, 'g CO2e': 1.0, 'mg CO2e': 0.001}  # unit -> g in one unit
MAX_DECIMALS = 6


def tokens_text(tokens: int, *, exact: bool = False, locale: str = DEFAULT) -> str:
    """'9,999', '34.4k', '1.23M', '2.00B' (widgets); `exact` for tables and exports: '1,234,567'."""
    if exact or tokens < 10_000:
        return count_text(tokens, locale)
    if tokens < 1_000_000:
        return f'{fixed_text(tokens / 1000, 1, locale)}k'
    if tokens < 1_000_000_000:
        return f'{fixed_text(tokens / 1_000_000, 2, locale)}M'
    return f'{fixed_text(tokens / 1_000_000_000, 2, locale)}B'


def count_text(n: int, locale: str = DEFAULT) -> str:
    """A whole number with the locale's grouping: '1,234' (en_US), '1.234' (de_DE)."""
    return fixed_text(n, 0, locale)


def fixed_text(x: float, decimals: int, locale: str = DEFAULT) -> str:
    """`x` with exactly `decimals` decimals (rounded as Python's format rounds) in the locale's separators."""
    if locale == DEFAULT:
        return f'{x:,.{decimals}f}'
    parsed, pattern = _decimal_pattern(locale, decimals)
    return pattern.apply(Decimal(f'{x:.{decimals}f}'), parsed)


def decimal_text(x: Decimal, locale: str = DEFAULT) -> str:
    """A decimal with every digit it has (a price such as 0.165), in the locale's separators."""
    if locale == DEFAULT:
        return f'{x:,f}'
    return format_decimal(x, locale=locale, decimal_quantization=False)


def percent_text(share: float, decimals: int = 1, locale: str = DEFAULT) -> str:
    """0.1234 → '12.3%' (en_US), '12,3 %' (de_DE): the locale's percent pattern."""
    if locale == DEFAULT:
        return f'{share:.{decimals}%}'
    parsed = Locale.parse(locale)
    pattern = copy(parse_pattern(parsed.percent_formats[None]))
    pattern.frac_prec = (decimals, decimals)
    return pattern.apply(Decimal(f'{share * 100:.{decimals}f}') / 100, parsed)


def plotly_separators(locale: str = DEFAULT) -> str:
    """Plotly's `separators` (decimal mark, then group mark) for the locale: '.,' in en_US, ',.' in de_DE."""
    symbols = Locale.parse(locale).number_symbols.get('latn', {})
    return symbols.get('decimal', '.') + symbols.get('group', ',')


@lru_cache(maxsize=256)
def _decimal_pattern(locale: str, decimals: int) -> tuple[Locale, NumberPattern]:
    parsed = Locale.parse(locale)
    pattern = copy(parse_pattern(parsed.decimal_formats[None]))
    pattern.frac_prec = (decimals, decimals)
    return parsed, pattern


def energy_unit(values: Iterable[float]) -> str:
    """The one unit for a set of energies in Wh: kWh from 1 000 Wh, mWh below 0.01 Wh, else Wh."""
    return _unit(values, ENERGY_UNITS)


def carbon_unit(values: Iterable[float]) -> str:
    """The one unit for a set of carbon masses in g CO2e: kg from 1 000 g, mg below 0.01 g, else g."""
    return _unit(values, CARBON_UNITS)


def energy_text(wh: float, unit: str | None = None, *, locale: str = DEFAULT) -> str:
    """'0.42 Wh'; with `unit` (from energy_unit) in that unit whatever the size."""
    unit = unit or energy_unit([wh])
    return f'{number_text(wh / ENERGY_UNITS[unit], locale)} {unit}'


def carbon_text(grams: float, unit: str | None = None, *, locale: str = DEFAULT) -> str:
    """'0.31 g CO2e'; with `unit` (from carbon_unit) in that unit whatever the size."""
    unit = unit or carbon_unit([grams])
    return f'{number_text(grams / CARBON_UNITS[unit], locale)} {unit}'


def energy_number(wh: float, unit: str, *, locale: str = DEFAULT) -> str:
    """The number of energy_text(wh, unit) alone, for a cell under a heading that names the unit."""
    return number_text(wh / ENERGY_UNITS[unit], locale)


def carbon_number(grams: float, unit: str, *, locale: str = DEFAULT) -> str:
    """The number of carbon_text(grams, unit) alone, for a cell under a heading that names the unit."""
    return number_text(grams / CARBON_UNITS[unit], locale)


def energy_range_text(low: float, high: float, unit: str | None = None, *, locale: str = DEFAULT) -> str:
    """'0.20–0.65 Wh': both ends in one unit."""
    unit = unit or energy_unit([low, high])
    return f'{number_text(low / ENERGY_UNITS[unit], locale)}–{number_text(high / ENERGY_UNITS[unit], locale)} {unit}'


def carbon_range_text(low: float, high: float, unit: str | None = None, *, locale: str = DEFAULT) -> str:
    """'0.11–0.40 g CO2e': both ends in one unit."""
    unit = unit or carbon_unit([low, high])
    return f'{number_text(low / CARBON_UNITS[unit], locale)}–{number_text(high / CARBON_UNITS[unit], locale)} {unit}'


def number_text(x: float, locale: str = DEFAULT) -> str:
    """A value already in its display unit: no decimals from 10, two from 0.1, three from 0.01, then two
    significant digits (at most six decimals)."""
    if x == 0:
        return '0'
    text = fixed_text(x, _decimals(abs(x)), locale)
    return '0' if not any(c in '123456789' for c in text) else text


def carbon_numbers(grams: Iterable[float], unit: str, *, locale: str = DEFAULT) -> list[str]:
    """The numbers of a column of carbon masses in one unit (from carbon_unit), all with the same decimals
    (those number_text gives the smallest one other than zero), so they align on the decimal point."""
    values = [g / CARBON_UNITS[unit] for g in grams]
    decimals = max((_decimals(abs(v)) for v in values if v), default=0)
    return [fixed_text(v, decimals, locale) for v in values]


def _decimals(size: float) -> int:
    """number_text's decimals for a value of this size (> 0)."""
    if size >= 10:
        return 0
    if size >= 0.1:
        return 2
    if size >= 0.01:
        return 3
    return min(MAX_DECIMALS, 1 - math.floor(math.log10(size)))


def _unit(values: Iterable[float], units: dict[str, float]) -> str:
    big, middle, small = units
    largest = max((abs(v) for v in values), default=0.0)
    if largest >= units[big]:
        return big
    if largest == 0 or largest >= 0.01:
        return middle
    return small
