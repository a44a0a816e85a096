"""Money: integer micro-units (1e-6) of a currency, never floats. Formatting goes through babel."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_symbol

from services.catalog import Catalog, Offer
from services.errors import InvalidInput

MICROS = 1_000_000


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
    """'$1,234.56'; `precise` keeps up to 6 decimals for small per-request amounts ('$0.000266')."""
    amount = to_decimal(micros)
    if precise:
        return format_currency(amount, currency, format='¤#,##0.00####', locale=locale, currency_digits=False)
    return format_currency(amount, currency, locale=locale)


def currency_symbol(currency: str, locale: str = 'en_US') -> str:
    return get_currency_symbol(currency, locale=locale)
