"""Dependencies shared by the API routers: database sessions and the calling key, by scope.

Every write commits before it answers: the sessions are yield dependencies with scope='function', so
FastAPI runs their exit (the commit) after the endpoint and before the response is sent. A failed commit
raises there and the client hears an error, never a success (FastAPI's default scope would commit after
the response had gone out). Reads take `ReadSessionDep`: on SQLite it neither takes nor waits for the
writer lock, so a burst of reads never queues behind writes.

A request keeps its database connection from its first query to the end of its session, across several
worker-thread hops (dependencies, endpoint, response validation). Each kind of session therefore admits a
bounded number of requests at a time (waiting costs no worker thread), below both FastAPI's thread pool
(40) and the connection pool (services/db.py): otherwise requests could hold every thread while waiting for
the writer lock or a connection that the holder, needing a thread for its next hop, cannot give back.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.errors import APIError
from services import db
from services.keys.api_keys import LAST_USED_RESOLUTION, authenticate_with_account, hash_secret, key_status, touch
from services.models import Account, ApiKey, utcnow
from services.routing import hot_cache

log = logging.getLogger('lowrouter')
READERS = 16  # read requests with an open session, per process
WRITERS = 6  # write requests with an open session, per process (SQLite runs one writer at a time anyway)
_recording: set[int] = set()  # ids of keys whose use a request of this process is writing now
_claims_lock = threading.Lock()


def get_session(request: Request) -> Iterator[Session]:
    """A write session, committed before the answer (see the module's docstring)."""
    with _taking_part(request), db.session_scope() as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A read-only session: on SQLite it neither takes nor waits for the writer lock."""
    with _taking_part(request), db.read_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope='function', max_concurrency=WRITERS)]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope='function', max_concurrency=READERS)]
Authorization = Annotated[str | None, Header(description='Bearer <API key secret>')]


def require(scope: str):
    """A dependency that answers 401 without a valid key and 403 when the key lacks `scope`.

    The key is checked in a short read-only session of its own. Its use ("last used") is recorded only
    once the request has succeeded and every session of the request has ended (a rejected request changes
    nothing; a write's transaction never waits for this one), at most once a minute per key."""

    def dependency(request: Request, authorization: Authorization = None) -> Iterator[ApiKey]:
        with db.read_scope() as session:
            key = check(session, authorization, scope)[0]
        request.state.key = key
        with _taking_part(request):
            yield key

    return dependency


@contextmanager
def _taking_part(request: Request) -> Iterator[None]:
    """Counts the request's open sessions; when the last one ends after success, records the key's use."""
    with _counted(request):
        yield
    if _use_due(request):
        _record_use(request.state.key)


@contextmanager
def _counted(request: Request) -> Iterator[None]:
    """One more open session of the request while inside; a failure inside marks the request failed."""
    state = request.state
    state.open = getattr(state, 'open', 0) + 1
    try:
        yield
    except BaseException:
        state.failed = True
        raise
    finally:
        state.open -= 1


def _use_due(request: Request) -> bool:
    """Whether the request's last session just ended after success and its key's "last used" is due."""
    state = request.state
    return state.open == 0 and not getattr(state, 'failed', False) and _due(request)


def _record_use(key: ApiKey) -> None:
    """Best effort: the request itself succeeded (and what it wrote is committed), so a failure to store
    "last used" is logged, never reported as the request's failure."""
    with _claimed(key.id) as mine:
        if not mine:
            return
        try:
            with db.session_scope() as session:
                touch(session, key)
        except DBAPIError as error:
            log.warning('could not record the use of key %s: %s', key.id, error.orig)


def _due(request: Request) -> bool:
    """Whether the key's stored "last used" is a minute old (as this request loaded it)."""
    key = getattr(request.state, 'key', None)
    return key is not None and (key.last_used_at is None or key.last_used_at < utcnow() - LAST_USED_RESOLUTION)


@contextmanager
def _claimed(key_id: int) -> Iterator[bool]:
    """Whether this request is the one of this process to write the key's use now (a burst writes it once)."""
    with _claims_lock:
        mine = key_id not in _recording
        _recording.add(key_id)
    try:
        yield mine
    finally:
        if mine:
            with _claims_lock:
                _recording.discard(key_id)


def require_cached(scope: str):
    """`require`, for the router's hot path: the key and its account from services/routing/hot_cache.py (a change in
    this process is seen at once, one in another process within a second); yields (key, account). Async: a
    cached key costs no worker-thread hop."""

    async def dependency(
        request: Request, authorization: Authorization = None
    ) -> AsyncIterator[tuple[ApiKey, Account]]:
        scheme, _, secret = (authorization or '').partition(' ')
        found = None
        if scheme.lower() == 'bearer' and secret.strip():
            entry = ('key', hash_secret(secret.strip()))
            found = hot_cache.peek(entry)
            if found is hot_cache.MISSING:
                found = await run_in_threadpool(hot_cache.get, entry, lambda: _authenticated(authorization))
        if found is None or key_status(found[0], utcnow()) != 'active':
            found = await run_in_threadpool(_refusal, authorization, scope)  # raises the exact 401 or 403
        elif scope not in found[0].scopes:
            raise APIError(403, 'forbidden', f'this key lacks the {scope} scope')
        request.state.key = found[0]
        with _counted(request):
            yield found
        if _use_due(request):
            await run_in_threadpool(_record_use, found[0])

    return dependency


def _refusal(authorization: str | None, scope: str) -> tuple[ApiKey, Account]:
    with db.read_scope() as session:
        return check(session, authorization, scope)


def _authenticated(authorization: str) -> tuple[ApiKey, Account] | None:
    with db.read_scope() as session:
        return authenticate_with_account(session, authorization.partition(' ')[2].strip())


def cached_key_with(scope: str):
    return Depends(require_cached(scope), scope='function')


def check(session: Session, authorization: str | None, scope: str) -> tuple[ApiKey, Account]:
    """The key named by an Authorization header and its account: 401 without a valid key, 403 when it lacks
    `scope`. Records nothing."""
    scheme, _, secret = (authorization or '').partition(' ')
    if scheme.lower() != 'bearer' or not secret.strip():
        raise APIError(401, 'unauthorized', 'send an API key as "Authorization: Bearer lr-…"', _challenge())
    found = authenticate_with_account(session, secret.strip())
    if found is None:
        raise APIError(401, 'unauthorized', 'this API key is unknown, expired or revoked', _challenge())
    key, account = found
    if scope not in key.scopes:
        raise APIError(403, 'forbidden', f'this key lacks the {scope} scope')
    return key, account


def authorize_with_account(session: Session, authorization: str | None, scope: str) -> tuple[ApiKey, Account]:
    """The key named by an Authorization header and its account, with its use recorded in `session` (for
    endpoints that do all their work in one session of their own, like ingestion)."""
    key, account = check(session, authorization, scope)
    touch(session, key)
    return key, account


def account_of(session: Session, key: ApiKey) -> Account:
    return session.get(Account, key.account_id)


def _challenge() -> dict[str, str]:
    return {'WWW-Authenticate': 'Bearer'}


def key_with(scope: str):
    """`Depends` for a key with `scope`; its exit (recording the use) runs before the answer."""
    return Depends(require(scope), scope='function')


Caller = tuple[ApiKey, Account]
ReadKey = Annotated[ApiKey, key_with('read')]
IngestKey = Annotated[ApiKey, key_with('ingest')]
ManageKey = Annotated[ApiKey, key_with('manage')]
