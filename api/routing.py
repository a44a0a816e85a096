"""Routing policies over HTTP (scope: manage): account defaults and per-key overrides."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import ManageKey, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError
from services import policies
from services.keys import KeyNotFound

router = APIRouter(prefix='/api/v1', tags=['routing'], responses=ERROR_RESPONSES)


@router.get('/routing', summary='Account defaults for lowrouter/auto (scope: manage)')
def get_routing(session: SessionDep, key: ManageKey) -> dict:
    return policies.account_settings(session, account_of(session, key))


@router.put('/routing', summary='Replace the account defaults; fields left out take built-in values (scope: manage)')
def put_routing(session: SessionDep, key: ManageKey, body: dict[str, Any]) -> dict:
    return _guard(lambda: policies.set_account_settings(session, account_of(session, key), body))


@router.get('/keys/{key_id}/routing', summary="A key's override and its effective policy (scope: manage)")
def get_key_routing(session: SessionDep, key: ManageKey, key_id: int) -> dict:
    account = account_of(session, key)
    override = _guard(lambda: policies.key_override(session, account, key_id))
    settings, sources = policies.effective(session, account, key_id)
    return {'override': override, 'effective': settings, 'sources': sources}


@router.put('/keys/{key_id}/routing', summary='Set the fields this key overrides; others inherit (scope: manage)')
def put_key_routing(session: SessionDep, key: ManageKey, key_id: int, body: dict[str, Any]) -> dict:
    account = account_of(session, key)
    override = _guard(lambda: policies.set_key_override(session, account, key_id, body))
    settings, sources = policies.effective(session, account, key_id)
    return {'override': override, 'effective': settings, 'sources': sources}


@router.delete(
    '/keys/{key_id}/routing', status_code=204, summary='Clear the override: the key inherits everything (scope: manage)'
)
def delete_key_routing(session: SessionDep, key: ManageKey, key_id: int) -> None:
    _guard(lambda: policies.clear_key_override(session, account_of(session, key), key_id))


def _guard(action):
    try:
        return action()
    except KeyNotFound as error:
        raise APIError(404, 'not_found', str(error)) from None
    except policies.PolicyError as error:
        raise APIError(422, 'invalid', f'{error.field}: {error.message}') from None
