"""Account settings that pages and the API change."""

from __future__ import annotations

from sqlmodel import Session

from services.catalog import get_catalog
from services.eco import estimate as eco
from services.errors import InvalidInput
from services.locales import LocaleError, parse_locale
from services.models import Account


class SettingError(InvalidInput, ValueError):
    """A setting that was refused; `field` names the input to fix."""


def set_eco_baseline(session: Session, account: Account, model_id: str) -> Account:
    if model_id not in get_catalog().models:
        raise SettingError('eco_baseline_model', f'unknown model {model_id!r}')
    account = session.merge(account)
    account.eco_baseline_model = model_id
    session.add(account)
    session.flush()
    return account


def baseline_choices() -> list[dict]:
    """Every catalog model with its energy per 1 000 output tokens at the default PUE (`pue`): central value and
    range (a Span, Wh), largest central value first."""
    rows = []
    for model in get_catalog().models.values():
        energy = eco.energy_per_1k_output_tokens(model, eco.DEFAULT_PUE)
        rows.append(
            {
                'id': model.id,
                'name': model.name,
                'vendor': model.vendor,
                'energy_wh': energy,
                'pue': eco.DEFAULT_PUE,
                'params_status': model.params_status,
                'active_params_b': model.active_params_b,
            }
        )
    return sorted(rows, key=lambda r: (-r['energy_wh'].value, r['name']))


def money_has_moved(session: Session, account: Account) -> bool:
    """Any top-up or recorded usage: from then on the currency is fixed (see update_profile)."""
    from sqlmodel import select

    from services.models import LedgerEntry, UsageHour

    return any(
        session.exec(select(table.id).where(table.account_id == account.id).limit(1)).first() is not None
        for table in (LedgerEntry, UsageHour)
    )


def update_profile(
    session: Session,
    account: Account,
    *,
    name: str,
    email: str | None,
    currency: str,
    timezone: str,
    locale: str | None,
) -> Account:
    """Name, e-mail, currency, time zone and locale (None or '': follow the browser). The currency is refused
    once money has moved: converting past balances, receipts and issued invoices would rewrite documents that
    must not change."""
    from email_validator import EmailNotValidError, validate_email
    from pydantic import ValidationError

    from services.account.accounts import AccountIn

    try:
        data = AccountIn(name=name, currency=currency, timezone=timezone)
    except ValidationError as error:
        first = error.errors()[0]
        raise SettingError(str(first['loc'][0]), first['msg'].removeprefix('Value error, ')) from None
    address = (email or '').strip() or None
    if address is not None:
        try:
            address = validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError as error:
            raise SettingError('email', str(error)) from None
    try:
        chosen = parse_locale(locale) if (locale or '').strip() else None
    except LocaleError as error:
        raise SettingError('locale', str(error)) from None
    account = session.merge(account)
    if data.currency != account.currency and money_has_moved(session, account):
        raise SettingError(
            'currency',
            f'this account already has top-ups or usage in {account.currency}; its balance, receipts and invoices '
            'stay in that currency. To use another currency, export and delete this account and start a new one.',
        )
    account.name, account.email, account.currency, account.timezone = data.name, address, data.currency, data.timezone
    account.locale = chosen
    session.add(account)
    session.flush()
    return account
