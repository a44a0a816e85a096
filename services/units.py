"""Numbers for reading, shared by pages, e-mails and documents: tokens in k/M, energy in mWh/Wh/kWh, carbon in
mg/g/kg CO2e.

A single figure picks the unit that suits it. A column or list of figures picks one unit for all of them (from
its largest value, `energy_unit` / `carbon_unit`) and passes it to `energy_text` / `carbon_text`, so one table
never mixes mg and g.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

ENERGY_UNITS = {'kWh': 1000.0, 'Wh': 1.0, 'mWh': 0.001}  # unit -> Wh in one unit
CARBON_UNITS = {'kg CO2e': 1000.0, 'g CO2e': 1.0, 'mg CO2e': 0.001}  # unit -> g in one unit
MAX_DECIMALS = 6


def tokens_text(tokens: int, *, exact: bool = False) -> str:
    if exact or tokens < 10_000:
        return f'{tokens:,}'
    if tokens < 1_000_000:
        return f'{tokens / 1000:,.1f}k'
    if tokens < 1_000_000_000:
        return f'{tokens / 1_000_000:,.2f}M'
    return f'{tokens / 1_000_000_000:,.2f}B'


def energy_unit(values: Iterable[float]) -> str:
    """The one unit for a set of energies in Wh: kWh from 1 000 Wh, mWh below 0.01 Wh, else Wh."""
    return _unit(values, ENERGY_UNITS)


def carbon_unit(values: Iterable[float]) -> str:
    """The one unit for a set of carbon masses in g CO2e: kg from 1 000 g, mg below 0.01 g, else g."""
    return _unit(values, CARBON_UNITS)


def energy_text(wh: float, unit: str | None = None) -> str:
    """'0.42 Wh'; with `unit` (from energy_unit) in that unit whatever the size."""
    unit = unit or energy_unit([wh])
    return f'{number_text(wh / ENERGY_UNITS[unit])} {unit}'


def carbon_text(grams: float, unit: str | None = None) -> str:
    """'0.31 g CO2e'; with `unit` (from carbon_unit) in that unit whatever the size."""
    unit = unit or carbon_unit([grams])
    return f'{number_text(grams / CARBON_UNITS[unit])} {unit}'


def energy_number(wh: float, unit: str) -> str:
    """The number of energy_text(wh, unit) alone, for a cell under a heading that names the unit."""
    return number_text(wh / ENERGY_UNITS[unit])


def carbon_number(grams: float, unit: str) -> str:
    """The number of carbon_text(grams, unit) alone, for a cell under a heading that names the unit."""
    return number_text(grams / CARBON_UNITS[unit])


def energy_range_text(low: float, high: float, unit: str | None = None) -> str:
    """'0.20–0.65 Wh': both ends in one unit."""
    unit = unit or energy_unit([low, high])
    return f'{number_text(low / ENERGY_UNITS[unit])}–{number_text(high / ENERGY_UNITS[unit])} {unit}'


def carbon_range_text(low: float, high: float, unit: str | None = None) -> str:
    """'0.11–0.40 g CO2e': both ends in one unit."""
    unit = unit or carbon_unit([low, high])
    return f'{number_text(low / CARBON_UNITS[unit])}–{number_text(high / CARBON_UNITS[unit])} {unit}'


def number_text(x: float) -> str:
    """A value already in its display unit: no decimals from 10, two from 0.1, three from 0.01, then two
    significant digits (at most six decimals)."""
    if x == 0:
        return '0'
    text = f'{x:,.{_decimals(abs(x))}f}'
    return '0' if text.strip('-0.,') == '' else text


def carbon_numbers(grams: Iterable[float], unit: str) -> list[str]:
    """The numbers of a column of carbon masses in one unit (from carbon_unit), all with the same decimals
    (those number_text gives the smallest one other than zero), so they align on the decimal point."""
    values = [g / CARBON_UNITS[unit] for g in grams]
    decimals = max((_decimals(abs(v)) for v in values if v), default=0)
    return [f'{v:,.{decimals}f}' for v in values]


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
