"""API keys over HTTP (scope: manage). A new or rotated secret is in the response once, never again."""

from __future__ import annotations

from fastapi import APIRouter

from api.bodies import KeyChanges, KeyCreate, Rotation
from api.deps import ManageKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError
from api.schemas import RecordId, key_out
from services.keys import api_keys as key_service
from services.keys.spend import key_month_usage, month_usage_by_key

router = APIRouter(prefix='/api/v1', tags=['keys'], responses=ERROR_RESPONSES)


@router.get('/keys', summary='List keys with their usage this month (scope: manage)')
def list_keys(session: ReadSessionDep, key: ManageKey) -> dict:
    account = account_of(session, key)
    usage = month_usage_by_key(session, account)
    return {
        'items': [key_out(k, usage.get(k.id)) for k in key_service.list_keys(session, account)],
        'next_cursor': None,
    }


@router.post('/keys', status_code=201, summary='Create a key; the secret is returned once (scope: manage)')
def create_key(
    session: SessionDep,
    key: ManageKey,
    body: KeyCreate,
) -> dict:
    account = account_of(session, key)
    new = _guard(
        lambda: key_service.create_key(session, account, acting_key=key, **body.model_dump(exclude_unset=True))
    )
    return key_out(new.key) | {'secret': new.secret}


@router.patch('/keys/{key_id}', summary='Change name, scopes, limit, allowed models or expiry (scope: manage)')
def update_key(session: SessionDep, key: ManageKey, key_id: RecordId, body: KeyChanges) -> dict:
    account = account_of(session, key)
    changed = _guard(
        lambda: key_service.update_key(session, account, key_id, acting_key=key, **body.model_dump(exclude_unset=True))
    )
    return key_out(changed, key_month_usage(session, account, changed))


@router.post(
    '/keys/{key_id}/rotate', summary='New secret for the same key, old one ends after a grace period (scope: manage)'
)
def rotate_key(session: SessionDep, key: ManageKey, key_id: RecordId, body: Rotation | None = None) -> dict:
    account = account_of(session, key)
    new = _guard(
        lambda: key_service.rotate_key(session, account, key_id, grace=(body or Rotation()).grace, acting_key=key)
    )
    return key_out(new.key, key_month_usage(session, account, new.key)) | {'secret': new.secret}


@router.post('/keys/{key_id}/revoke', summary='Revoke a key at once; it stays listed (scope: manage)')
def revoke_key(session: SessionDep, key: ManageKey, key_id: RecordId) -> dict:
    account = account_of(session, key)
    revoked = _guard(lambda: key_service.revoke_key(session, account, key_id))
    return key_out(revoked, key_month_usage(session, account, revoked))


def _guard(action):
    try:
        return action()
    except key_service.KeyNotFound as error:
        raise APIError(404, 'not_found', str(error)) from None
    except key_service.KeyForbidden as error:  # the acting key would grant more than it holds
        raise APIError(403, 'forbidden', f'{error.field}: {error.message}') from None
    except key_service.KeyInputError as error:
        raise APIError(422, 'invalid', f'{error.field}: {error.message}') from None
    except TypeError as error:  # an unknown field name in the body
        raise APIError(422, 'invalid', f'body: {error}') from None
