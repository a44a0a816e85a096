"""Usage aggregates and the credit balance over HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadKey, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError
from services.money import decimal_string
from services.usage import credit_balance, spent_this_month
from services.usage_report import GroupBy, usage_grouped

router = APIRouter(prefix='/api/v1', tags=['usage and credits'], responses=ERROR_RESPONSES)


@router.get('/usage', summary='Usage grouped by model, provider, region, key or day (scope: read)')
def usage(
    session: SessionDep,
    key: ReadKey,
    group_by: GroupBy = 'model',
    since: Annotated[datetime | None, Query(alias='from', description='inclusive; rounded down to the hour')] = None,
    until: Annotated[datetime | None, Query(alias='to', description='exclusive')] = None,
    model: str | None = None,
    key_id: Annotated[int | None, Query(alias='key')] = None,
) -> dict:
    for name, moment in (('from', since), ('to', until)):
        if moment is not None and moment.tzinfo is None:
            raise APIError(422, 'invalid', f'{name}: needs a time zone, e.g. 2026-11-01T00:00:00Z')
    account = account_of(session, key)
    rows = usage_grouped(session, account, group_by, since=since, until=until, model=model, key_id=key_id)
    for row in rows:
        row['cost'] = decimal_string(row.pop('cost_micros'))
    return {'group_by': group_by, 'currency': account.currency, 'timezone': account.timezone, 'items': rows}


@router.get('/credits', summary='Balance and spending this calendar month (scope: read)')
def credits(session: SessionDep, key: ReadKey) -> dict:
    account = account_of(session, key)
    return {
        'balance': decimal_string(credit_balance(session, account)),
        'spent_this_month': decimal_string(spent_this_month(session, account)),
        'currency': account.currency,
    }
