"""API keys over HTTP (scope: manage). A new or rotated secret is in the response once, never again."""

from __future__ import annotations

from fastapi import APIRouter

from api.bodies import KeyChanges, KeyCreate, Rotation
from api.deps import ManageKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.records import KeyOut, KeyPage, KeyWithSecret
from api.schemas import RecordId, key_out
from services.keys import api_keys as key_service
from services.keys.spend import key_month_usage, month_usage_by_key

router = APIRouter(prefix='/api/v1', tags=['keys'], responses=ERROR_RESPONSES)
NO_KEY = documented(404, 'No key with this id in this account', 'not_found', 'no key 7 in this account')


@router.get('/keys', response_model=KeyPage, summary='List keys with their usage this month (scope: manage)')
def list_keys(session: ReadSessionDep, key: ManageKey) -> dict:
    account = account_of(session, key)
    usage = month_usage_by_key(session, account)
    return {
        'items': [key_out(k, usage.get(k.id)) for k in key_service.list_keys(session, account)],
        'next_cursor': None,
    }


@router.post(
    '/keys',
    status_code=201,
    response_model=KeyWithSecret,
    summary='Create a key; the secret is returned once (scope: manage)',
)
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


@router.patch(
    '/keys/{key_id}',
    response_model=KeyOut,
    summary='Change name, scopes, limit, allowed models or expiry (scope: manage)',
    responses=NO_KEY,
)
def update_key(session: SessionDep, key: ManageKey, key_id: RecordId, body: KeyChanges) -> dict:
    account = account_of(session, key)
    changed = _guard(
        lambda: key_service.update_key(session, account, key_id, acting_key=key, **body.model_dump(exclude_unset=True))
    )
    return key_out(changed, key_month_usage(session, account, changed))


@router.post(
    '/keys/{key_id}/rotate',
    response_model=KeyWithSecret,
    summary='New secret for the same key, old one ends after a grace period (scope: manage)',
    responses=NO_KEY,
)
def rotate_key(session: SessionDep, key: ManageKey, key_id: RecordId, body: Rotation | None = None) -> dict:
    account = account_of(session, key)
    new = _guard(
        lambda: key_service.rotate_key(session, account, key_id, grace=(body or Rotation()).grace, acting_key=key)
    )
    return key_out(new.key, key_month_usage(session, account, new.key)) | {'secret': new.secret}


@router.post(
    '/keys/{key_id}/revoke',
    response_model=KeyOut,
    summary='Revoke a key at once; it stays listed (scope: manage)',
    responses=NO_KEY,
)
def revoke_key(session: SessionDep, key: ManageKey, key_id: RecordId) -> dict:
    account = account_of(session, key)
    revoked = _guard(lambda: key_service.revoke_key(session, account, key_id))
    return key_out(revoked, key_month_usage(session, account, revoked))


def _guard(action):
    """The service's refusals (not found, forbidden, invalid) are answered by api/errors.py."""
    try:
        return action()
    except TypeError as error:  # an unknown field name in the body
        raise APIError(422, 'invalid', f'body: {error}') from None
