"""The what-if preview of a routing policy over HTTP (scope: manage): past requests replayed under the
account defaults or a key's override, saved or a draft, with the same service as the Auto-routing page.

The answer starts with what the page asks about before it saves: how many of the replayed requests (of the
whole account, or of the key) the policy would have refused.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, Strict

from api.deps import ManageKey, ReadSessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.common import Money, Out
from api.schemas import MAX_ID
from services.money import decimal_string
from services.routing import policies
from services.routing.policies import PolicySettings
from services.routing.whatif import Preview, Totals, preview

router = APIRouter(prefix='/api/v1', tags=['routing'], responses=ERROR_RESPONSES)
KEY_NOT_FOUND = documented(404, 'No key with this id in the account', 'not_found', 'no key 42 in this account')
DESCRIPTION = """Each group of past requests of the window (same requested model, key, and where it ran) is
routed again under the policy; cost is at today's list prices, energy and carbon with today's eco method, so
`before` and `after` compare like with like. Nothing is written.

Without `key_id`, `policy` is a draft of the account defaults (fields left out take built-in values, as
`PUT /api/v1/routing`); without `policy`, the saved defaults. With `key_id`, `policy` is a draft of that key's
override (fields left out inherit the account defaults, as `PUT /api/v1/keys/{key_id}/routing`); without
`policy`, the key's saved override. Every key's traffic is replayed either way.

`refused_requests` of `replayed_requests` would have been refused (no offer meets the policy): of the whole
account, or of the key with `key_id`. Refused requests count at what they really cost. `moves` lists where
requests would go instead, largest first."""


class WhatIfIn(BaseModel):
    model_config = ConfigDict(
        extra='forbid',
        json_schema_extra={
            'examples': [
                {'days': 7, 'policy': {'strategy': 'lowest_carbon'}},
                {'days': 30, 'key_id': 3, 'policy': {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1'}},
            ]
        },
    )

    days: Literal[7, 30] = Field(7, description='the window replayed, ending now: 7 or 30 days, as on the page')
    key_id: Annotated[int, Strict(), Field(ge=1, le=MAX_ID)] | None = Field(
        None, description='a key of the account: preview its override instead of the account defaults'
    )
    policy: PolicySettings | None = Field(None, description='a draft; null or left out: the saved policy')


class TotalsOut(Out):
    requests: int
    cost: Money = Field(description='in the account currency')
    energy_wh: float
    carbon_g: float


Percent = Annotated[float, Field(description='after against before, in percent (negative: lower)')]


class ChangeOut(Out):
    cost: Percent
    energy: Percent
    carbon: Percent


class MoveOut(Out):
    model_config = ConfigDict(extra='forbid', populate_by_name=True)

    from_: str = Field(alias='from', description="where the requests ran: 'provider · region'")
    to: str = Field(description="where they would run: 'provider · region'")
    from_model: str
    to_model: str
    requests: int


class WhatIfOut(Out):
    refused_requests: int = Field(description='replayed requests the policy would have refused (account or key)')
    replayed_requests: int = Field(description='requests replayed (of the account, or of the key with key_id)')
    days: int
    key_id: int | None
    currency: str
    before: TotalsOut = Field(description='every replayed request as it really ran')
    after: TotalsOut = Field(description='the same requests under the policy')
    change_percent: ChangeOut
    moved_requests: int = Field(description='requests that would run on another offer (every key)')
    unroutable_requests: int = Field(description='requests that would have been refused (every key)')
    moves: list[MoveOut] = Field(description='largest first')
    settings: dict[str, Any] = Field(description='the whole policy replayed (for a key: with what it inherits)')


@router.post(
    '/routing/what-if',
    summary='Preview a routing policy on past requests: refused first, then before and after (scope: manage)',
    description=DESCRIPTION,
    responses=KEY_NOT_FOUND,
)
def what_if(session: ReadSessionDep, key: ManageKey, body: WhatIfIn) -> WhatIfOut:
    account = account_of(session, key)
    draft = None if body.policy is None else body.policy.model_dump(mode='json', exclude_unset=True)
    try:
        if body.key_id is None:
            settings = policies.account_settings(session, account) if draft is None else _complete(draft)
            result = preview(session, account, days=body.days, account_policy=draft)
            refused, replayed = result.refused()
        else:
            if draft is None:  # the saved override (KeyNotFound for a key of another account)
                settings = policies.effective(session, account, body.key_id)[0]
            else:
                policies.key_override(session, account, body.key_id)  # KeyNotFound, as above
                settings = _complete(policies.account_settings(session, account) | policies.validate(draft))
            drafts = None if draft is None else {body.key_id: draft}
            result = preview(session, account, days=body.days, key_policies=drafts)
            refused, replayed = result.refused(body.key_id)
    except policies.PolicyError as error:
        where = 'policy' if error.field == 'policy' else f'policy.{error.field}'
        raise APIError(422, 'invalid', f'{where}: {error.message}') from None  # the field's place in the body
    return _out(result, refused, replayed, body, account.currency, settings)


def _complete(settings: dict[str, Any]) -> dict[str, Any]:
    """The whole policy as applied; PolicyError when the strategy lacks its region or provider."""
    return policies.complete_settings(settings)


def _out(result: Preview, refused: int, replayed: int, body: WhatIfIn, currency: str, settings: dict) -> WhatIfOut:
    return WhatIfOut(
        refused_requests=refused,
        replayed_requests=replayed,
        days=result.days,
        key_id=body.key_id,
        currency=currency,
        before=_totals(result.before),
        after=_totals(result.after),
        change_percent=ChangeOut(
            cost=result.change('cost_micros'),
            energy=result.change('energy_wh'),
            carbon=result.change('carbon_g'),
        ),
        moved_requests=result.moved_requests,
        unroutable_requests=result.unroutable_requests,
        moves=[MoveOut.model_validate(move) for move in result.moves],
        settings=settings,
    )


def _totals(totals: Totals) -> TotalsOut:
    return TotalsOut(
        requests=totals.requests,
        cost=decimal_string(totals.cost_micros),
        energy_wh=totals.energy_wh,
        carbon_g=totals.carbon_g,
    )
