"""Dependencies shared by the API routers: a database session and the calling key, by scope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header
from sqlmodel import Session

from api.errors import APIError
from services import db
from services.keys import authenticate_with_account, touch
from services.models import Account, ApiKey


def get_session() -> Iterator[Session]:
    with db.session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
Authorization = Annotated[str | None, Header(description='Bearer <API key secret>')]


def require(scope: str):
    """A dependency that answers 401 without a valid key and 403 when the key lacks `scope`."""

    def dependency(session: SessionDep, authorization: Authorization = None) -> ApiKey:
        key = authorize(session, authorization, scope)
        session.commit()  # the key's use is recorded on its own; the endpoint's work is a new transaction
        return key

    return dependency


def authorize(session: Session, authorization: str | None, scope: str) -> ApiKey:
    """The key named by an Authorization header, with its use recorded: 401 without a valid key, 403
    when it lacks `scope`."""
    return authorize_with_account(session, authorization, scope)[0]


def authorize_with_account(session: Session, authorization: str | None, scope: str) -> tuple[ApiKey, Account]:
    """`authorize`, returning the key's account too (loaded by the same query)."""
    scheme, _, secret = (authorization or '').partition(' ')
    if scheme.lower() != 'bearer' or not secret.strip():
        raise APIError(401, 'unauthorized', 'send an API key as "Authorization: Bearer lr-…"', _challenge())
    found = authenticate_with_account(session, secret.strip())
    if found is None:
        raise APIError(401, 'unauthorized', 'this API key is unknown, expired or revoked', _challenge())
    key, account = found
    if scope not in key.scopes:
        raise APIError(403, 'forbidden', f'this key lacks the {scope} scope')
    touch(session, key)
    return key, account


def account_of(session: Session, key: ApiKey) -> Account:
    return session.get(Account, key.account_id)


def _challenge() -> dict[str, str]:
    return {'WWW-Authenticate': 'Bearer'}


ReadKey = Annotated[ApiKey, Depends(require('read'))]
IngestKey = Annotated[ApiKey, Depends(require('ingest'))]
ManageKey = Annotated[ApiKey, Depends(require('manage'))]
