"""The account profile and the eco baseline over HTTP: the same service functions as Settings → Profile and
Settings → Eco baseline. Reading needs the read scope; changing needs manage."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from api.deps import ManageKey, ReadKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.common import Out, Span
from services.account.settings import SettingError, baseline_choices, money_has_moved, set_eco_baseline, update_profile
from services.catalog import display_name, get_catalog
from services.models import Account

router = APIRouter(prefix='/api/v1', tags=['settings'], responses=ERROR_RESPONSES)

CURRENCY_LOCKED = documented(
    409,
    'The currency cannot change: money has moved in this account; nothing was written',
    'currency_locked',
    'currency: this account already has top-ups or usage in USD; its balance, receipts and invoices stay in '
    'that currency',
)


class ProfileOut(Out):
    name: str
    email: str | None = Field(description='receipts, invoices and alerts go here when e-mail is set up')
    currency: str
    currency_locked: bool = Field(
        description='true once the account has top-ups or usage: from then on the currency stays as it is'
    )
    currencies: list[str] = Field(description='the currencies an account can use')
    timezone: str = Field(description='IANA time zone; "today" and "this month" start at its midnight')
    locale: str | None = Field(
        description='how numbers and money read, e.g. de_DE ("1.234,56 €"); null: the pages follow the '
        "browser's language and PDFs and e-mails use en_US"
    )


class ProfileChanges(BaseModel):
    """Only the fields given change; the others stay as they are."""

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={'examples': [{'name': 'Acme Ltd', 'timezone': 'Europe/Paris'}, {'email': None}]},
    )

    name: str = Field(None, max_length=200, description='1 to 120 characters, surrounding spaces dropped')
    email: str | None = Field(None, max_length=320, description='an e-mail address; null or "" removes it')
    currency: str = Field(
        None, max_length=10, description='see `currencies`; refused once money has moved (see `currency_locked`)'
    )
    timezone: str = Field(None, max_length=64, description='an IANA time zone, e.g. Europe/Paris')
    locale: str | None = Field(
        None, max_length=35, description='a locale such as en_US, en_GB or de_DE; null follows the browser'
    )


class BaselineChoice(Out):
    id: str
    name: str
    vendor: str
    energy_wh_per_1k_output_tokens: Span = Field(description='at the default PUE')
    pue: float
    params_status: str
    active_params_b: list[float]


class BaselineOut(Out):
    model: str = Field(description="the model the dashboard's eco panel compares usage with")
    name: str
    choices: list[BaselineChoice] = Field(description='every catalog model, largest central energy first')


class BaselineIn(BaseModel):
    model_config = ConfigDict(extra='forbid', json_schema_extra={'examples': [{'model': 'openai/gpt-4o'}]})

    model: str = Field(max_length=120, description='a model id of the catalog; see GET /api/v1/models')


@router.get('/profile', summary='The account profile: name, e-mail, currency, time zone, locale (scope: read)')
def get_profile(session: ReadSessionDep, key: ReadKey) -> ProfileOut:
    return _profile_out(session, account_of(session, key))


@router.patch(
    '/profile',
    summary='Change name, e-mail, currency, time zone or locale; fields left out stay (scope: manage)',
    description='The currency is fixed once the account has any top-up or usage: balances, receipts and issued '
    'invoices never change currency. Changing it then answers 409 `currency_locked` and writes nothing.',
    responses=CURRENCY_LOCKED,
)
def patch_profile(session: SessionDep, key: ManageKey, body: ProfileChanges) -> ProfileOut:
    account = account_of(session, key)
    given = body.model_dump(exclude_unset=True)
    values = {
        'name': given.get('name', account.name),
        'email': given.get('email', account.email),
        'currency': given.get('currency', account.currency),
        'timezone': given.get('timezone', account.timezone),
        'locale': given.get('locale', account.locale),
    }
    try:
        account = update_profile(session, account, **values)
    except SettingError as error:
        if error.field == 'currency' and 'currency' in given and _locked_change(session, account, given['currency']):
            raise APIError(409, 'currency_locked', f'{error.field}: {error.message}') from None
        raise APIError(422, 'invalid', f'{error.field}: {error.message}') from None
    return _profile_out(session, account)


@router.get('/eco/baseline', summary='The eco baseline model and every model it can be (scope: read)')
def get_baseline(session: ReadSessionDep, key: ReadKey) -> BaselineOut:
    return _baseline_out(account_of(session, key))


@router.put(
    '/eco/baseline',
    summary='Set the eco baseline model, a model of the catalog (scope: manage)',
)
def put_baseline(session: SessionDep, key: ManageKey, body: BaselineIn) -> BaselineOut:
    try:
        account = set_eco_baseline(session, account_of(session, key), body.model)
    except SettingError as error:
        raise APIError(422, 'invalid', f'model: {error.message}; see GET /api/v1/models') from None
    return _baseline_out(account)


def _profile_out(session: Session, account: Account) -> ProfileOut:
    return ProfileOut(
        name=account.name,
        email=account.email,
        currency=account.currency,
        currency_locked=money_has_moved(session, account),
        currencies=get_catalog().currencies,
        timezone=account.timezone,
        locale=account.locale,
    )


def _locked_change(session: Session, account: Account, currency: str) -> bool:
    """Whether the refusal is the fixed-currency rule (a known currency, other than the account's)."""
    wanted = currency.strip().upper()
    return wanted in get_catalog().fx and wanted != account.currency and money_has_moved(session, account)


def _baseline_out(account: Account) -> BaselineOut:
    choices = [
        BaselineChoice(
            id=c['id'],
            name=c['name'],
            vendor=c['vendor'],
            energy_wh_per_1k_output_tokens=Span(**c['energy_wh'].as_dict()),
            pue=c['pue'],
            params_status=c['params_status'],
            active_params_b=list(c['active_params_b']),
        )
        for c in baseline_choices()
    ]
    return BaselineOut(model=account.eco_baseline_model, name=display_name(account.eco_baseline_model), choices=choices)
