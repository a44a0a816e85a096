"""Usage aggregates and the credit balance over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ReadKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES
from api.responses.records import CreditsOut, UsageOut
from api.schemas import KeyFilter, Moment, StatusFilter
from services.billing.ledger import credit_balance
from services.money import decimal_string
from services.usage.report import GroupBy, usage_grouped
from services.usage.totals import spent_this_month

router = APIRouter(prefix='/api/v1', tags=['usage and credits'], responses=ERROR_RESPONSES)


@router.get(
    '/usage',
    response_model=UsageOut,
    summary='Usage grouped by model, provider, region, key, status or day (scope: read)',
)
def usage(
    session: ReadSessionDep,
    key: ReadKey,
    group_by: GroupBy = 'model',
    since: Annotated[Moment | None, Query(alias='from', description='inclusive; rounded down to the hour')] = None,
    until: Annotated[Moment | None, Query(alias='to', description='exclusive')] = None,
    model: str | None = None,
    key_id: KeyFilter = None,
    provider: str | None = None,
    region: str | None = None,
    status: StatusFilter = None,
) -> dict:
    account = account_of(session, key)
    filters = {'model': model, 'key_id': key_id, 'provider': provider, 'region': region, 'status': status}
    rows = usage_grouped(session, account, group_by, since=since, until=until, **filters)
    for row in rows:
        row['cost'] = decimal_string(row.pop('cost_micros'))
    return {'group_by': group_by, 'currency': account.currency, 'timezone': account.timezone, 'items': rows}


@router.get('/credits', response_model=CreditsOut, summary='Balance and spending this calendar month (scope: read)')
def credits(session: ReadSessionDep, key: ReadKey) -> dict:
    account = account_of(session, key)
    return {
        'balance': decimal_string(credit_balance(session, account)),
        'spent_this_month': decimal_string(spent_this_month(session, account)),
        'currency': account.currency,
    }
