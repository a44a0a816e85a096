"""The account's locale: how numbers and money read (separators, where the currency symbol goes), via babel.

One locale per account, used alike by its pages, PDFs and e-mails (`of`). An account made in a browser
starts with that browser's language (`from_browser`, from Accept-Language); one made without a browser (the
demo) has none until it is chosen in Settings, and reads as DEFAULT.
"""

from __future__ import annotations

import re
from functools import cache

from babel import Locale, UnknownLocaleError, negotiate_locale
from babel.localedata import locale_identifiers
from babel.numbers import format_decimal

DEFAULT = 'en_US'

# offered first in Settings; any other locale babel knows is accepted too (typed, or through the API)
COMMON = (
    'en_US', 'en_GB', 'en_IE', 'en_IN', 'en_AU', 'en_CA', 'de_DE', 'de_AT', 'de_CH', 'fr_FR', 'fr_CH', 'fr_CA',
    'it_IT', 'es_ES', 'es_MX', 'pt_PT', 'pt_BR', 'nl_NL', 'nl_BE', 'sv_SE', 'da_DK', 'nb_NO', 'fi_FI', 'pl_PL',
    'cs_CZ', 'ja_JP', 'ko_KR', 'zh_CN', 'hi_IN', 'ar_AE',
)  # fmt: skip


_SHAPE = re.compile(r'[A-Za-z]{2,3}(_[A-Za-z0-9]{2,8}){0,3}')


class LocaleError(ValueError):
    """Not a locale babel knows."""


@cache
def known() -> frozenset[str]:
    return frozenset(locale_identifiers())


def parse_locale(text: str) -> str:
    """'de-DE', 'de_de' or 'de_DE' → 'de_DE'; LocaleError for anything babel does not know."""
    cleaned = (text or '').strip().replace('-', '_')
    code = ''
    if _SHAPE.fullmatch(cleaned):
        try:
            code = str(Locale.parse(cleaned))
        except (ValueError, UnknownLocaleError):
            code = ''
    # babel reads leniently ('de_DE; anything' is 'de'): only a code that is exactly what was given counts
    if code not in known() or code.lower() != cleaned.lower():
        raise LocaleError(f'{text.strip()!r} is not a locale (use a language and region such as en_US or de_DE)')
    return code


def from_browser(accept_language: str | None) -> str:
    """The best locale for an Accept-Language header ('de-CH,de;q=0.9,en;q=0.8' → 'de_CH'); DEFAULT if none."""
    preferred = []
    for part in (accept_language or '').split(','):
        tag, _, params = part.strip().partition(';')
        quality = 1.0
        if params.strip().startswith('q='):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != '*' and quality > 0:
            preferred.append((quality, tag.replace('-', '_')))
    ordered = [tag for _, tag in sorted(preferred, key=lambda pair: -pair[0])]
    return negotiate_locale(ordered, sorted(known()), sep='_') or DEFAULT


def of(account) -> str:
    """The locale `account` reads in (an Account, or None outside any account)."""
    return (getattr(account, 'locale', None) or DEFAULT) if account is not None else DEFAULT


def locale_name(code: str) -> str:
    """'de_CH' → 'Deutsch (Schweiz)', in its own language, so a reader finds their own."""
    parsed = Locale.parse(code)
    name = parsed.get_display_name(parsed) or code
    return name[:1].upper() + name[1:]


def sample(code: str) -> str:
    """How a number reads in the locale: '1,234.56' (en_US), '1.234,56' (de_DE), '1’234.56' (de_CH)."""
    return format_decimal(1234.56, format='#,##0.00', locale=code)


def choices(current: str | None = None) -> dict[str, str]:
    """code → label for a select: the common locales, and the account's own if it is another."""
    codes = list(COMMON) + ([current] if current and current not in COMMON else [])
    return {code: f'{locale_name(code)} · {sample(code)}' for code in codes}
