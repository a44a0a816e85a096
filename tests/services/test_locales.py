"""The account's locale (services/locales.py): what is accepted, what a browser's Accept-Language gives, and
numbers, money and units read in it on pages' helpers, PDFs and e-mails."""

from __future__ import annotations

import dataclasses

import pytest

from services import locales
from services.account.accounts import AccountError, create_account
from services.account.settings import SettingError, update_profile
from services.billing._documents import render_invoice, render_receipt
from services.billing.pdfs import invoice_doc, receipt_pdf
from services.models import Account
from services.money import format_amount, format_money, format_total
from services.notifications.mailer import receipt_content
from services.units import (
    carbon_numbers,
    carbon_text,
    count_text,
    energy_range_text,
    fixed_text,
    number_text,
    percent_text,
    plotly_separators,
    tokens_text,
)
from tests.services.test_documents import pdf_text, sample_invoice, sample_receipt


@pytest.mark.parametrize(
    ('given', 'code'),
    [('de_DE', 'de_DE'), ('de-DE', 'de_DE'), ('de-de', 'de_DE'), (' fr_CH ', 'fr_CH'), ('ja', 'ja'),
     ('zh_Hans_CN', 'zh_Hans_CN'), ('EN_gb', 'en_GB')],
)  # fmt: skip
def test_a_locale_is_read_in_any_usual_spelling(given, code):
    assert locales.parse_locale(given) == code


@pytest.mark.parametrize(
    'bad', ['', '  ', 'klingon', 'xx_YY', 'de_DE; DROP TABLE account', 'de_DE ', 'de__DE', 'de_DE.UTF-8', '<b>de</b>']
)
def test_anything_babel_would_only_guess_at_is_refused(bad):
    if bad == 'de_DE ':  # surrounding spaces are only trimmed
        assert locales.parse_locale(bad) == 'de_DE'
        return
    with pytest.raises(locales.LocaleError):
        locales.parse_locale(bad)


@pytest.mark.parametrize(
    ('header', 'code'),
    [
        ('de-CH,de;q=0.9,en;q=0.8', 'de_CH'),
        ('en;q=0.3, fr-FR;q=0.9', 'fr_FR'),  # by quality, not by order
        ('fr', 'fr'),
        ('xx-YY, sv-SE;q=0.5', 'sv_SE'),  # an unknown first choice falls through
        ('*', locales.DEFAULT),
        ('', locales.DEFAULT),
        (None, locales.DEFAULT),
        ('de;q=0, en-GB', 'en_GB'),  # q=0 means "not this one"
        ('de;q=abc', locales.DEFAULT),  # a broken quality is skipped
    ],
)
def test_the_browsers_language_picks_the_best_known_locale(header, code):
    assert locales.from_browser(header) == code


def test_numbers_take_the_locales_separators():
    assert [count_text(1_234_567, loc) for loc in ('en_US', 'de_DE', 'en_IN')] == [
        '1,234,567',
        '1.234.567',
        '12,34,567',
    ]
    assert count_text(1_234_567, 'fr_FR') == '1\u202f234\u202f567'  # a narrow no-break space
    assert [tokens_text(34_400, locale=loc) for loc in ('en_US', 'de_DE')] == ['34.4k', '34,4k']
    assert tokens_text(1_234_567, locale='de_DE') == '1,23M'
    assert tokens_text(1_234_567, exact=True, locale='de_DE') == '1.234.567'
    assert fixed_text(2.675, 2, 'de_DE') == fixed_text(2.675, 2).replace('.', ',')  # the same rounding as before
    assert number_text(0.0031, 'de_DE') == '0,0031'
    assert carbon_text(0.0031, locale='de_DE') == '3,10 mg CO2e'
    assert energy_range_text(1_234.5, 2_345.6, locale='de_DE') == '1,23–2,35 kWh'
    assert carbon_numbers([1.5, 12_345.25], 'g CO2e', locale='de_DE') == ['1,50', '12.345,25']
    assert percent_text(0.1234, 1, 'de_DE') == '12,3\xa0%'
    assert percent_text(0.1234) == '12.3%'
    assert [plotly_separators(loc) for loc in ('en_US', 'de_DE')] == ['.,', ',.']


def test_money_takes_the_locales_pattern_and_the_currencys_decimals():
    assert format_money(1_234_500_000, 'USD', locale='de_DE') == '1.234,50\xa0$'
    assert format_money(1_234_500_000, 'EUR', locale='fr_FR') == '1\u202f234,50\xa0€'
    assert format_money(1_234_500_000, 'EUR', locale='en_IE') == '€1,234.50'
    assert format_money(1_234_500_000, 'CHF', locale='de_CH') == "CHF\xa01'234.50"
    assert format_money(1_500_000, 'JPY', locale='ja_JP') == '￥2'
    assert '1.235' in format_money(1_234_567, 'KWD', locale='ar_AE')  # three decimals, in the locale's pattern
    assert format_total(4_000, 'EUR', locale='de_DE') == '< 0,01\xa0€'
    assert format_amount(1_306, 'USD', 5, locale='de_DE') == '0,00131\xa0$'
    assert format_money(266, 'USD', precise=True, locale='de_DE') == '0,000266\xa0$'


def test_an_accounts_locale_is_stored_checked_and_cleared(session, account):
    assert account.locale is None and locales.of(account) == locales.DEFAULT
    profile = {'name': account.name, 'email': None, 'currency': 'USD', 'timezone': 'Europe/Paris'}
    update_profile(session, account, **profile, locale='de-DE')
    session.commit()
    assert session.get(Account, account.id).locale == 'de_DE'
    with pytest.raises(SettingError) as refused:
        update_profile(session, account, **profile | {'name': 'Other'}, locale='klingon')
    assert refused.value.field == 'locale'
    session.rollback()
    assert (session.get(Account, account.id).locale, session.get(Account, account.id).name) == ('de_DE', account.name)
    update_profile(session, account, **profile, locale='')
    session.commit()
    assert session.get(Account, account.id).locale is None


def test_a_new_account_takes_the_locale_it_is_given_and_refuses_a_bad_one(session):
    made = create_account(session, name='Bern AG', currency='CHF', locale='de-CH')
    assert made.locale == 'de_CH'
    with pytest.raises(AccountError) as refused:
        create_account(session, name='Other', locale='nope')
    assert refused.value.field == 'locale'


def test_pdfs_read_in_the_documents_locale_and_still_add_up():
    receipt = pdf_text(render_receipt(dataclasses.replace(sample_receipt(), locale='de_DE'))).replace('\xa0', ' ')
    assert receipt.count('1.250,50 €') == 2  # the table row and "Total paid"
    doc = dataclasses.replace(sample_invoice(), locale='de_DE')
    text = pdf_text(render_invoice(doc)).replace('\xa0', ' ')
    assert '4.320.960' in text  # tokens of the last line
    assert text.count(format_money(doc.usage_micros, 'EUR', locale='de_DE').replace('\xa0', ' ')) == 3
    assert '1.230,80 €' in text  # the closing balance
    assert '1,23 kWh (range 0,80–2,10 kWh)' in text
    assert '1 October 2026 – 31 October 2026' in text  # words and dates stay English


def test_an_invoice_reads_in_the_locale_of_its_snapshot_and_old_snapshots_as_before():
    snapshot = _snapshot(sample_invoice())
    assert invoice_doc(snapshot).locale == locales.DEFAULT  # taken before locales: en_US, as it was issued
    assert invoice_doc(snapshot | {'locale': 'de_DE'}).locale == 'de_DE'


def test_a_receipt_and_its_email_read_in_the_accounts_locale(session, account):
    from services.billing.ledger import top_up

    account.locale = 'de_DE'
    receipt = top_up(session, account, '1234.50', method='manual', idempotency_key='k').receipt
    session.commit()
    assert '1.234,50 $' in pdf_text(receipt_pdf(account, receipt)).replace('\xa0', ' ')
    content, _ = receipt_content(account, receipt)
    assert '1.234,50' in content.text and '1,234.50' not in content.text


def _snapshot(doc) -> dict:
    """An invoice snapshot as stored before accounts had a locale (no 'locale' key)."""
    return {
        'number': doc.number, 'status': doc.status, 'period_start': doc.period_start.isoformat(),
        'period_end': doc.period_end.isoformat(), 'timezone': doc.timezone, 'issued_at': doc.issued_at.isoformat(),
        'party': {'name': doc.party.name, 'email': doc.party.email}, 'currency': doc.currency,
        'lines': [dataclasses.asdict(line) for line in doc.lines],
        'top_ups': [{'date': t.date.isoformat(), 'receipt_number': t.receipt_number, 'method': t.method,
                     'amount_micros': t.amount_micros} for t in doc.top_ups],
        'opening_micros': doc.opening_micros, 'top_ups_micros': doc.top_ups_micros, 'usage_micros': doc.usage_micros,
        'closing_micros': doc.closing_micros, 'emissions': dataclasses.asdict(doc.emissions),
    }  # fmt: skip
