"""Data retention over HTTP: how long raw generations are kept, and what pruning has deleted so far."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from api.bodies import RetentionIn
from api.deps import ManageKey, ReadKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES
from api.responses.records import RetentionOut
from services.usage.retention import MAX_DAYS, RetentionStatus, retention_status, set_retention

router = APIRouter(prefix='/api/v1', tags=['settings'], responses=ERROR_RESPONSES)


@router.get(
    '/retention',
    response_model=RetentionOut,
    summary='The data-retention setting and what pruning has deleted (scope: read)',
)
def get_retention(session: ReadSessionDep, key: ReadKey) -> dict:
    return retention_out(retention_status(session, account_of(session, key)))


@router.put(
    '/retention',
    response_model=RetentionOut,
    summary=f'Keep raw generations 1 to {MAX_DAYS} days, or null to keep them all (scope: manage)',
    description='Generations older than the setting are deleted at the next hourly pruning, in whole UTC hours. '
    'Balances, usage, reports and invoices are computed from hourly rollups and the ledger, so every total '
    'stays the same. Reading a deleted generation answers 410 Gone.',
)
def put_retention(
    session: SessionDep,
    key: ManageKey,
    body: RetentionIn,
) -> dict:
    account = account_of(session, key)
    account = set_retention(session, account, body.retention_days)
    return retention_out(retention_status(session, account))


def retention_out(status: RetentionStatus) -> dict:
    return {
        'retention_days': status.retention_days,
        'pruned_before': _iso(status.pruned_before),
        'pruned_at': _iso(status.pruned_at),
        'pruned_generations': status.pruned_generations,
        'next_cutoff': _iso(status.next_cutoff),
        'awaiting_pruning': status.awaiting_pruning,
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace('+00:00', 'Z')
