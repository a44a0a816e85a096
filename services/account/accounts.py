"""The account: lowrouter serves one operator account per installation."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete
from sqlmodel import Session, select

from services.catalog import get_catalog
from services.errors import InvalidInput
from services.locales import LocaleError, parse_locale
from services.models import ACCOUNT_TABLES, Account


class AccountError(InvalidInput, ValueError):
    """An account setting that was refused; `field` names the input to fix."""


class AccountIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=120)
    currency: str = 'USD'
    timezone: str = 'UTC'

    @field_validator('currency')
    @classmethod
    def _known_currency(cls, value: str) -> str:
        value = value.upper()
        if value not in get_catalog().fx:
            raise ValueError(f'choose one of {", ".join(get_catalog().currencies)}')
        return value

    @field_validator('timezone')
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in time_zones():
            raise ValueError('not an IANA time zone (e.g. Europe/Paris)')
        return value


@cache
def time_zones() -> list[str]:
    return sorted(z for z in available_timezones() if '/' in z or z == 'UTC')


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def current_account(session: Session) -> Account | None:
    return session.exec(select(Account).order_by(Account.id)).first()


def create_account(
    session: Session,
    *,
    name: str,
    currency: str = 'USD',
    timezone: str = 'UTC',
    locale: str | None = None,
    is_demo: bool = False,
) -> Account:
    """A new account; `locale` is the browser's language when it is made from a page (services/locales.py)."""
    try:
        data = AccountIn(name=name, currency=currency, timezone=timezone)
        chosen = parse_locale(locale) if locale else None
    except ValidationError as error:
        first = error.errors()[0]
        raise AccountError(str(first['loc'][0]), first['msg'].removeprefix('Value error, ')) from None
    except LocaleError as error:
        raise AccountError('locale', str(error)) from None
    account = Account(**data.model_dump(), locale=chosen, is_demo=is_demo)
    session.add(account)
    session.flush()
    return account


def remove_demo_data(session: Session) -> int:
    """Delete every row that belongs to a demo account, in the caller's transaction. Returns accounts removed.

    The demo account rows are locked first (FOR UPDATE on PostgreSQL), so a background job inserting a row for a
    demo account (a low-balance alert, say) waits for the deletion instead of slipping in between the child
    tables and the account and breaking the foreign key.
    """
    demo_ids = list(session.exec(select(Account.id).where(Account.is_demo).with_for_update()))
    for table in ACCOUNT_TABLES:
        session.execute(delete(table).where(table.account_id.in_(demo_ids)))
    session.execute(delete(Account).where(Account.id.in_(demo_ids)))
    return len(demo_ids)
