"""Notifications over HTTP: the preferences of Settings → Notifications, and the header bell's list.

The same service functions as the page and the bell. Reading needs the read scope; every change (the
preferences, marking notifications read) needs manage, as every other write of the API does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator
from sqlmodel import Session

from api.deps import ManageKey, ReadKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.common import Money, Out, Time
from api.schemas import RecordId
from services.models import Account, Notification
from services.money import decimal_string
from services.notifications.inbox import latest, mark_all_read, mark_read, prefs, unread, update_prefs
from services.notifications.mailer import smtp_settings

router = APIRouter(prefix='/api/v1', tags=['notifications'], responses=ERROR_RESPONSES)
SHOWN = 10  # the bell's menu shows the latest 10
MAX_SHOWN = 100
NOT_FOUND = documented(404, 'No notification with this id in the account', 'not_found', 'no notification 42')
Toggle = Annotated[bool, Strict()]


class PreferencesOut(Out):
    low_balance: bool = Field(description='when the balance drops below the threshold; once each time it does')
    receipts_email: bool = Field(description='the PDF receipt of each top-up')
    invoice_email: bool = Field(description='the PDF invoice when a month closes')
    weekly_summary: bool = Field(description="every Monday: last week's usage, cost, top models and carbon")
    key_limit_alerts: bool = Field(description='when a key reaches 80 % and 100 % of its monthly limit')
    low_balance_threshold: Money = Field(description='in the account currency; 0 turns the alert off')
    currency: str
    email: str | None = Field(description='where e-mails go (set it with PATCH /api/v1/profile)')
    email_delivery: bool = Field(
        description='whether notifications also go out by e-mail: e-mail is set up where lowrouter runs, the '
        'account has an address and is not the demo. Everything always appears in the bell.'
    )


class PreferencesIn(BaseModel):
    """Only the fields given change; the others stay as they are."""

    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={'examples': [{'weekly_summary': False, 'low_balance_threshold': '10.00'}]},
    )

    low_balance: Toggle = None
    receipts_email: Toggle = None
    invoice_email: Toggle = None
    weekly_summary: Toggle = None
    key_limit_alerts: Toggle = None
    low_balance_threshold: str = Field(
        None, max_length=40, description='a decimal string in the account currency, e.g. "5.00"; "0" turns it off'
    )

    @field_validator('low_balance_threshold', mode='before')
    @classmethod
    def _decimal_string(cls, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError('give the amount as a decimal string, e.g. "5.00"')
        return value


class NotificationOut(Out):
    id: int
    kind: str = Field(description='low_balance, receipt, invoice, weekly_summary or key_limit')
    title: str
    body: str
    link: str | None = Field(description="the dashboard page it is about, e.g. '/credits'")
    created_at: Time
    read_at: Time | None
    read: bool


class NotificationsOut(Out):
    items: list[NotificationOut] = Field(description='newest first')
    unread: int = Field(description='unread notifications of the account, all of them')


class MarkedAllOut(Out):
    marked: int = Field(description='notifications marked read by this request')
    unread: int


@router.get('/notifications/preferences', summary='What lowrouter tells you about, and the threshold (scope: read)')
def get_preferences(session: ReadSessionDep, key: ReadKey) -> PreferencesOut:
    return _preferences_out(account_of(session, key))


@router.put(
    '/notifications/preferences',
    summary='Change notification preferences or the low-balance threshold; fields left out stay (scope: manage)',
)
def put_preferences(session: SessionDep, key: ManageKey, body: PreferencesIn) -> PreferencesOut:
    values = body.model_dump(exclude_unset=True)
    threshold = values.pop('low_balance_threshold', None)
    account = update_prefs(session, account_of(session, key), values, threshold)
    return _preferences_out(account)


@router.get('/notifications', summary="The bell's notifications, newest first, and the unread count (scope: read)")
def list_notifications(
    session: ReadSessionDep,
    key: ReadKey,
    limit: Annotated[int, Query(ge=1, le=MAX_SHOWN, description='how many, newest first (the bell shows 10)')] = SHOWN,
) -> NotificationsOut:
    account = account_of(session, key)
    items = latest(session, account.id, limit=limit)
    return NotificationsOut(items=[_notification_out(n) for n in items], unread=unread(session, account.id))


@router.post('/notifications/read-all', summary='Mark every notification of the account read (scope: manage)')
def read_all(session: SessionDep, key: ManageKey) -> MarkedAllOut:
    account = account_of(session, key)
    marked = mark_all_read(session, account.id)
    return MarkedAllOut(marked=marked, unread=unread(session, account.id))


@router.post(
    '/notifications/{notification_id}/read',
    summary='Mark one notification read; one already read stays as it was (scope: manage)',
    responses=NOT_FOUND,
)
def read_one(session: SessionDep, key: ManageKey, notification_id: RecordId) -> NotificationOut:
    account = account_of(session, key)
    item = _notification(session, account, notification_id)
    mark_read(session, account.id, notification_id)
    session.refresh(item)
    return _notification_out(item)


def _notification(session: Session, account: Account, notification_id: int) -> Notification:
    item = session.get(Notification, notification_id)
    if item is None or item.account_id != account.id:
        raise APIError(404, 'not_found', f'no notification {notification_id} in this account')
    return item


def _preferences_out(account: Account) -> PreferencesOut:
    return PreferencesOut(
        **prefs(account),
        low_balance_threshold=decimal_string(account.low_balance_threshold_micros),
        currency=account.currency,
        email=account.email,
        email_delivery=smtp_settings() is not None and bool(account.email) and not account.is_demo,
    )


def _notification_out(item: Notification) -> NotificationOut:
    return NotificationOut(
        id=item.id,
        kind=item.kind,
        title=item.title,
        body=item.body,
        link=item.link,
        created_at=_iso(item.created_at),
        read_at=None if item.read_at is None else _iso(item.read_at),
        read=item.read_at is not None,
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace('+00:00', 'Z')
