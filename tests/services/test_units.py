"""Figures for reading: one unit per set of figures, the unit always named."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.units import (
    CARBON_UNITS,
    ENERGY_UNITS,
    carbon_number,
    carbon_range_text,
    carbon_text,
    carbon_unit,
    energy_range_text,
    energy_text,
    energy_unit,
    number_text,
)


@pytest.mark.parametrize(
    ('grams', 'text'),
    [
        (0, '0 g CO2e'),
        (0.004, '4.00 mg CO2e'),
        (0.034, '0.034 g CO2e'),
        (0.34, '0.34 g CO2e'),
        (3.4, '3.40 g CO2e'),
        (340, '340 g CO2e'),
        (3400, '3.40 kg CO2e'),
        (1_234_567, '1,235 kg CO2e'),
    ],
)
def test_a_single_figure_takes_the_unit_that_suits_it(grams, text):
    assert carbon_text(grams) == text


@pytest.mark.parametrize(
    ('wh', 'text'),
    [(0, '0 Wh'), (0.005, '5.00 mWh'), (0.42, '0.42 Wh'), (42, '42 Wh'), (4200, '4.20 kWh')],
)
def test_energy_units(wh, text):
    assert energy_text(wh) == text


def test_a_set_of_figures_takes_one_unit_from_its_largest():
    column = [0.004, 0.3, 0.00005]  # alone: 4.00 mg, 0.30 g, 0.050 mg
    unit = carbon_unit(column)
    assert unit == 'g CO2e'
    assert [carbon_text(g, unit) for g in column] == ['0.0040 g CO2e', '0.30 g CO2e', '0.000050 g CO2e']
    assert carbon_unit([0.001, 0.004]) == 'mg CO2e'
    assert carbon_unit([12, 1500]) == 'kg CO2e'
    assert carbon_unit([]) == 'g CO2e'
    assert energy_unit([0.002, 1200]) == 'kWh'
    assert energy_text(0.5, 'kWh') == '0.00050 kWh'


def test_ranges_share_one_unit():
    assert carbon_range_text(0.004, 0.3) == '0.0040–0.30 g CO2e'
    assert energy_range_text(800, 2100) == '0.80–2.10 kWh'
    assert energy_range_text(0.001, 0.005) == '1.00–5.00 mWh'


def test_tiny_figures_keep_at_most_six_decimals_and_never_print_minus_zero():
    assert number_text(0.0000001) == '0'
    assert number_text(-0.0000001) == '0'
    assert number_text(0.0000012) == '0.000001'


@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=20))
def test_every_figure_of_a_set_reads_back_within_its_last_digit(values):
    """The printed number, times its unit, is the value to within half of the last printed digit (or below the
    six-decimal floor)."""
    unit = carbon_unit(values)
    for value in values:
        printed = carbon_number(value, unit)
        decimals = len(printed.partition('.')[2])
        back = float(printed.replace(',', '')) * CARBON_UNITS[unit]
        tolerance = max(0.5 * 10**-decimals, 0.5e-6) * CARBON_UNITS[unit]
        assert abs(back - value) <= tolerance * 1.000001, (value, printed, unit)
        assert carbon_text(value, unit).endswith(f' {unit}')
    assert energy_unit(values) in ENERGY_UNITS


def test_a_carbon_column_shares_its_decimals_so_it_aligns_on_the_point():
    from services.units import carbon_numbers

    assert carbon_numbers([0.0069, 0.092, 0.17, 0.88, 0], 'g CO2e') == [
        '0.0069',
        '0.0920',
        '0.1700',
        '0.8800',
        '0.0000',
    ]
    assert carbon_numbers([1500.0, 12_000.0], 'kg CO2e') == ['1.50', '12.00']  # 1.5 kg: two decimals, for both
    assert carbon_numbers([0.0], 'g CO2e') == ['0'] and carbon_numbers([], 'mg CO2e') == []
    assert carbon_numbers([0.0004567, 0.000012], 'mg CO2e') == ['0.457', '0.012']  # in mg: 0.012 keeps two digits
