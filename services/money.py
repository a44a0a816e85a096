"""Money: integer micro-units (1e-6) of a currency, never floats. Formatting goes through babel.

How amounts read (one rule for every page): balances, totals and top-ups show in their currency's own
decimals (cents), and a total above zero too small for a cent reads '< $0.01' (format_total). Per-request
costs shown together (a column) share one number of decimals, the currency's unless the smallest of them is
below its smallest unit (a cent), then enough for that one to keep two significant digits, at most six (the
stored micro-units). One generation's own record shows its exact stored amount (format_money's `precise`).
Rounding is half up, once, from the exact stored amount.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from copy import copy
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import NumberPattern, get_currency_precision, get_currency_symbol, parse_pattern

from services.catalog import Catalog, Offer
from services.errors import InvalidInput

MICROS = 1_000_000
MICRO_DECIMALS = 6  # the stored precision
SIGNIFICANT = 2  # digits kept of the smallest amount of a column below a cent
ROUNDING = ROUND_HALF_UP  # the stated rule for every amount shown


class MoneyError(InvalidInput, ValueError):
    """Not an amount or currency lowrouter takes."""


def cost_micros_usd(offer: Offer, prompt_tokens: int, completion_tokens: int) -> Decimal:
    """Exact cost in micro-USD: a price per million tokens is a price in micro-USD per token."""
    return prompt_tokens * offer.input_usd_per_mtok + completion_tokens * offer.output_usd_per_mtok


def offer_cost_micros(catalog: Catalog, offer: Offer, prompt_tokens: int, completion_tokens: int, currency: str) -> int:
    """Cost of a request at an offer's list price, in micro-units of `currency` (rounded half-even)."""
    return to_integer(cost_micros_usd(offer, prompt_tokens, completion_tokens) * fx_rate(catalog, currency))


def fx_rate(catalog: Catalog, currency: str) -> Decimal:
    try:
        return catalog.fx[currency].per_usd
    except KeyError:
        raise MoneyError(f'unsupported currency {currency!r}; supported: {", ".join(catalog.currencies)}') from None


def to_integer(micros: Decimal) -> int:
    return int(micros.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def parse_amount(text: str | Decimal | int) -> int:
    """'12.50' -> 12_500_000 micro-units. Refuses floats, NaN, infinities and more than 6 decimals."""
    if isinstance(text, float):
        raise MoneyError('amounts are decimal strings, not floats')
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise MoneyError(f'{text!r} is not a decimal amount') from None
    if not value.is_finite():
        raise MoneyError(f'{text!r} is not a finite amount')
    micros = value * MICROS
    if micros != micros.to_integral_value():
        raise MoneyError(f'{text!r} has more than 6 decimals')
    return int(micros)


def to_decimal(micros: int) -> Decimal:
    return Decimal(micros) / MICROS


def decimal_string(micros: int) -> str:
    """The API's form: a plain decimal string with 6 decimals, e.g. '0.000266'."""
    return f'{to_decimal(micros):.6f}'


def format_money(micros: int, currency: str, *, precise: bool = False, locale: str = 'en_US') -> str:
    """'$1,234.56' (the currency's decimals, rounded half up); `precise` shows the exact stored amount with up
    to 6 decimals ('$0.000266'), for one generation's own record."""
    if precise:  # the locale's pattern, from the currency's decimals up to the six of a micro-unit
        parsed, pattern = _currency_pattern(locale, currency_decimals(currency), MICRO_DECIMALS)
        return pattern.apply(to_decimal(micros), parsed, currency=currency, currency_digits=False)
    return format_amount(micros, currency, currency_decimals(currency), locale=locale)


def format_total(micros: int, currency: str, *, locale: str = 'en_US') -> str:
    """A total in the currency's decimals, like format_money, except that an amount other than zero that would
    round to zero reads '< $0.01' (a refund, '> -$0.01'): never '$0.00' for something that cost something."""
    decimals = currency_decimals(currency)
    if micros and round_to_currency(micros, currency) == 0:
        cent = MICROS // 10**decimals
        bound = format_amount(cent if micros > 0 else -cent, currency, decimals, locale=locale)
        return f'< {bound}' if micros > 0 else f'> {bound}'
    return format_amount(micros, currency, decimals, locale=locale)


def currency_decimals(currency: str) -> int:
    """The decimals of the currency's smallest unit: 2 for USD, 0 for JPY, 3 for KWD."""
    return get_currency_precision(currency)


def round_to_currency(micros: int, currency: str) -> int:
    """The amount rounded half up to the currency's smallest unit (a cent), still in micro-units."""
    unit = MICROS // 10 ** currency_decimals(currency)
    return int((Decimal(micros) / unit).quantize(Decimal(1), rounding=ROUNDING)) * unit


def column_decimals(amounts: Iterable[int], currency: str) -> int:
    """The one number of decimals of amounts shown together (see the module's rule)."""
    base = currency_decimals(currency)
    smallest = min((abs(a) for a in amounts if a), default=0)
    if not smallest or smallest >= MICROS // 10**base:
        return base
    first = MICRO_DECIMALS + 1 - len(str(smallest))  # the decimal place of its first significant digit
    return max(base, min(MICRO_DECIMALS, first + SIGNIFICANT - 1))


def format_amount(micros: int, currency: str, decimals: int, *, locale: str = 'en_US') -> str:
    """The amount with exactly `decimals` decimals, rounded half up, in the locale's currency pattern:
    '$0.00131', '0,00131 €'."""
    amount = to_decimal(micros).quantize(Decimal(1).scaleb(-decimals), rounding=ROUNDING)
    locale_, pattern = _currency_pattern(locale, decimals)
    return pattern.apply(amount, locale_, currency=currency, currency_digits=False)


@lru_cache(maxsize=64)
def _currency_pattern(locale: str, decimals: int, most: int | None = None) -> tuple[Locale, NumberPattern]:
    """The locale's standard currency pattern with exactly `decimals` decimals (the amount is already rounded),
    or with `most` from `decimals` up to that many."""
    parsed = Locale.parse(locale)
    pattern = copy(parse_pattern(parsed.currency_formats['standard']))
    pattern.frac_prec = (decimals, decimals if most is None else most)
    return parsed, pattern


def money_column(amounts: Iterable[int], currency: str, *, locale: str = 'en_US') -> Callable[[int], str]:
    """The formatter of a column (or list) of these amounts: every one with the same decimals."""
    decimals = column_decimals(amounts, currency)
    return lambda micros: format_amount(micros, currency, decimals, locale=locale)


def currency_symbol(currency: str, locale: str = 'en_US') -> str:
    return get_currency_symbol(currency, locale=locale)
