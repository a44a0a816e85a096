"""Bulk key edits over HTTP (scope: manage): the keys page's bulk actions, all or nothing, with its service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator

from api.bodies import Scope
from api.deps import ManageKey, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.common import Out
from api.responses.records import KeyOut
from api.schemas import MAX_ID, key_out
from services.keys import api_keys as key_service
from services.keys.api_keys import BulkAction
from services.keys.spend import month_usage_by_key
from services.money import MoneyError, parse_amount

router = APIRouter(prefix='/api/v1', tags=['keys'], responses=ERROR_RESPONSES)
MAX_KEYS = 500
SPECIFIC = documented(
    404, 'A key of the list is not in the account; nothing changed', 'not_found', 'no key 42 in this account'
)
DESCRIPTION = """One action on several keys, as the keys page's bulk bar: either every key listed changes, or
none does (any refusal leaves every key as it was).

- `revoke`: revoke every key at once (a key already revoked stays as it is).
- `add_scope` / `remove_scope`: add or remove `scope`; a key may not be left without any scope.
- `set_limit`: set the monthly spend limit to `spend_limit` (a decimal string), or remove it with null.

Revoked keys can only be revoked: listing one with another action is refused. As with `PATCH /api/v1/keys/{id}`,
the calling key cannot give a key more than it holds itself (403)."""


class BulkIn(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'key_ids': [3, 4], 'action': 'revoke'},
                {'key_ids': [3, 4], 'action': 'add_scope', 'scope': 'read'},
                {'key_ids': [3], 'action': 'set_limit', 'spend_limit': '25.00'},
            ]
        },
    )

    key_ids: list[Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=MAX_KEYS)
    action: BulkAction
    scope: Scope | None = Field(None, description='for add_scope and remove_scope')
    spend_limit: str | None = Field(
        None, max_length=40, description='for set_limit: a monthly limit in the account currency; null removes it'
    )

    @model_validator(mode='after')
    def _fits_the_action(self) -> BulkIn:
        given = self.model_fields_set
        if self.action in ('add_scope', 'remove_scope') and self.scope is None:
            raise ValueError(f'scope: required for {self.action}')
        if self.action not in ('add_scope', 'remove_scope') and 'scope' in given:
            raise ValueError(f'scope: only for add_scope and remove_scope, not {self.action}')
        if self.action == 'set_limit' and 'spend_limit' not in given:
            raise ValueError('spend_limit: required for set_limit (null removes the limit)')
        if self.action != 'set_limit' and 'spend_limit' in given:
            raise ValueError(f'spend_limit: only for set_limit, not {self.action}')
        return self


class BulkOut(Out):
    action: BulkAction
    changed: int = Field(description='keys the action applied to (each key once)')
    items: list[KeyOut] = Field(description='the keys listed, as they are now, in the order given')


@router.post(
    '/keys/bulk',
    summary='One action on several keys, all or nothing: revoke, add or remove a scope, set the limit (scope: manage)',
    description=DESCRIPTION,
    responses=SPECIFIC,
)
def bulk_keys(session: SessionDep, key: ManageKey, body: BulkIn) -> BulkOut:
    account = account_of(session, key)
    value = body.scope if body.action in ('add_scope', 'remove_scope') else _limit(body.spend_limit)
    changed = key_service.bulk_update(session, account, body.key_ids, body.action, value, acting_key=key)
    usage = month_usage_by_key(session, account)
    keys = [key_service.get_key(session, account, key_id) for key_id in dict.fromkeys(body.key_ids)]
    return BulkOut(action=body.action, changed=changed, items=[KeyOut(**key_out(k, usage.get(k.id))) for k in keys])


def _limit(text: str | None) -> str | None:
    """The limit as the service takes it: None for no limit; an unreadable amount is refused here, as on the page."""
    if text is None or not text.strip():
        return None
    try:
        parse_amount(text)
    except MoneyError as error:
        raise APIError(422, 'invalid', f'spend_limit: {error}') from None
    return text.strip()
