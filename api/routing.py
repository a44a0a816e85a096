"""Routing policies over HTTP (scope: manage): account defaults and per-key overrides."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import ManageKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, documented
from api.responses.records import KeyRoutingOut, PolicyOut
from api.schemas import RecordId
from services.routing import policies
from services.routing.policies import PolicySettings

router = APIRouter(prefix='/api/v1', tags=['routing'], responses=ERROR_RESPONSES)
NO_KEY = documented(404, 'No key with this id in this account', 'not_found', 'no key 7 in this account')


@router.get('/routing', response_model=PolicyOut, summary='Account defaults for lowrouter/auto (scope: manage)')
def get_routing(session: ReadSessionDep, key: ManageKey) -> dict:
    return policies.account_settings(session, account_of(session, key))


@router.put(
    '/routing',
    response_model=PolicyOut,
    summary='Replace the account defaults; fields left out take built-in values (scope: manage)',
)
def put_routing(session: SessionDep, key: ManageKey, body: PolicySettings) -> dict:
    return policies.set_account_settings(session, account_of(session, key), _given(body))


@router.get(
    '/keys/{key_id}/routing',
    response_model=KeyRoutingOut,
    response_model_exclude_unset=True,  # the override names only the fields it sets
    summary="A key's override and its effective policy (scope: manage)",
    responses=NO_KEY,
)
def get_key_routing(session: ReadSessionDep, key: ManageKey, key_id: RecordId) -> dict:
    account = account_of(session, key)
    override = policies.key_override(session, account, key_id)
    settings, sources = policies.effective(session, account, key_id)
    return {'override': override, 'effective': settings, 'sources': sources}


@router.put(
    '/keys/{key_id}/routing',
    response_model=KeyRoutingOut,
    response_model_exclude_unset=True,
    summary='Set the fields this key overrides; others inherit (scope: manage)',
    responses=NO_KEY,
)
def put_key_routing(session: SessionDep, key: ManageKey, key_id: RecordId, body: PolicySettings) -> dict:
    account = account_of(session, key)
    override = policies.set_key_override(session, account, key_id, _given(body))
    settings, sources = policies.effective(session, account, key_id)
    return {'override': override, 'effective': settings, 'sources': sources}


@router.delete(
    '/keys/{key_id}/routing',
    status_code=204,
    summary='Clear the override: the key inherits everything (scope: manage)',
    responses=NO_KEY,
)
def delete_key_routing(session: SessionDep, key: ManageKey, key_id: RecordId) -> None:
    policies.clear_key_override(session, account_of(session, key), key_id)


def _given(body: PolicySettings) -> dict:
    """The fields the request gave, JSON-ready (the service checks them again, with the stored ones)."""
    return body.model_dump(mode='json', exclude_unset=True)
