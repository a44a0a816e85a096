"""The one rule for amounts shown (services/money.py): a single amount in its currency's decimals, amounts shown
together with one number of decimals, rounding half up once from the exact micro-units."""

from __future__ import annotations

import pytest

from services.catalog import get_catalog
from services.money import (
    column_decimals,
    currency_decimals,
    format_amount,
    format_money,
    format_total,
    money_column,
    round_to_currency,
)


def test_a_single_amount_shows_in_the_currencys_own_decimals_rounded_half_up():
    assert format_money(24_721_674, 'USD') == '$24.72'
    assert format_money(234_215_599, 'USD') == '$234.22'
    assert format_money(5_000, 'USD') == '$0.01'  # half a cent rounds up, never to even
    assert format_money(4_999, 'USD') == '$0.00'
    assert format_money(-5_000, 'USD') == '-$0.01'  # half up is away from zero
    assert format_money(1_500_000, 'JPY') == '¥2'  # no decimals in yen
    assert format_money(2_500_000, 'JPY') == '¥3'
    assert format_money(1_234_567, 'KWD') == 'KWD1.235'  # three decimals in dinars
    assert format_money(123_456_789_000, 'EUR') == '€123,456.79'


def test_the_issues_column_shares_its_decimals_and_keeps_two_significant_digits_of_the_smallest():
    amounts = [1_306, 1_100, 200, 20_000]  # $0.001306, $0.0011, $0.0002, $0.02 as they used to show
    cost = money_column(amounts, 'USD')
    assert [cost(a) for a in amounts] == ['$0.00131', '$0.00110', '$0.00020', '$0.02000']
    assert cost(0) == '$0.00000'
    assert {len(cost(a).split('.')[1]) for a in amounts} == {5}  # one number of decimals down the column


@pytest.mark.parametrize(
    ('amounts', 'currency', 'decimals'),
    [
        ([], 'USD', 2),  # nothing to show: the currency's
        ([0, 0], 'USD', 2),
        ([10_000, 2_500_000], 'USD', 2),  # a cent or more: cents
        ([9_999], 'USD', 4),  # $0.009999: two significant digits, $0.0100
        ([1_306], 'USD', 4),
        ([156], 'USD', 5),
        ([1], 'USD', 6),  # one micro-unit: six decimals, the stored precision, never more
        ([-200, 50_000], 'USD', 5),  # a refund's size counts, not its sign
        ([999_999], 'JPY', 2),  # below one yen
        ([1_000_000, 3_000_000], 'JPY', 0),
        ([999], 'KWD', 5),  # 0.000999 KWD, below one fils (0.001): 0.00100
        ([1_000], 'KWD', 3),
    ],
)
def test_column_decimals(amounts, currency, decimals):
    assert column_decimals(amounts, currency) == decimals


def test_a_column_rounds_each_amount_half_up_from_its_exact_value():
    cost = money_column([1_234, 1_235, 1_245], 'USD')  # four decimals
    assert [cost(a) for a in (1_234, 1_235, 1_245)] == ['$0.0012', '$0.0012', '$0.0012']
    cost = money_column([1_250, 1_350], 'USD')
    assert [cost(a) for a in (1_250, 1_350)] == ['$0.0013', '$0.0014']  # halves up, not to even


def test_every_catalog_currency_has_its_decimals():
    assert {c: currency_decimals(c) for c in get_catalog().currencies} == {
        'CAD': 2,
        'CHF': 2,
        'EUR': 2,
        'GBP': 2,
        'JPY': 0,
        'USD': 2,
    }


def test_separators_follow_the_locale():
    assert format_amount(1_234_567_891, 'EUR', 2, locale='de_DE') == '1.234,57\xa0€'
    assert format_amount(1_306, 'EUR', 5, locale='fr_FR') == '0,00131\xa0€'
    assert format_money(1_234_567_891, 'EUR', locale='fr_FR') == '1\u202f234,57\xa0€'  # narrow space in thousands
    assert format_money(350_000, 'JPY', locale='ja_JP') == '￥0'
    assert money_column([350_000], 'JPY', locale='ja_JP')(350_000) == '￥0.35'


def test_a_total_too_small_for_a_cent_never_reads_as_nothing():
    assert format_total(1_500, 'USD') == '< $0.01'
    assert format_total(4_999, 'USD') == '< $0.01'
    assert format_total(5_000, 'USD') == '$0.01'
    assert format_total(0, 'USD') == '$0.00'
    assert format_total(-1_500, 'USD') == '> -$0.01'
    assert format_total(350_000, 'JPY') == '< ¥1'
    assert format_total(12_345_678, 'USD') == format_money(12_345_678, 'USD') == '$12.35'


def test_rounding_to_the_currency_keeps_micro_units():
    assert round_to_currency(1_004_999, 'USD') == 1_000_000
    assert round_to_currency(1_005_000, 'USD') == 1_010_000
    assert round_to_currency(-1_005_000, 'USD') == -1_010_000
    assert round_to_currency(1_500_000, 'JPY') == 2_000_000
    assert round_to_currency(1_234_567, 'KWD') == 1_235_000
