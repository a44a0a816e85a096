"""The account's full export and its deletion over HTTP (scope: manage): Settings → Delete account.

The export is the page's ZIP, streamed as it is written. Deletion asks what the page asks: the account name,
typed exactly, in `confirm_name`; anything else deletes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ManageKey, ReadSessionDep, SessionDep, account_of
from api.errors import ERROR_RESPONSES, APIError, documented
from api.responses.common import Out, non_json
from services.account.deletion import AccountDeletionError, delete_account
from services.account.export import stream_export
from services.models import Account

router = APIRouter(prefix='/api/v1', tags=['account'], responses=ERROR_RESPONSES)
GONE = documented(404, 'The account no longer exists', 'not_found', 'there is no account 1')
EXPORT_DESCRIPTION = """One ZIP, the same as Settings → Delete account → Download full export: `README.txt`,
`settings.json` (profile, eco baseline, notification preferences, routing defaults and overrides, every key's
metadata; never a secret), `generations.csv` (every generation, newest first), `invoices/*.pdf` and
`receipts/*.pdf`. It is streamed as it is written, so a large account starts downloading at once."""
DELETE_DESCRIPTION = """Deletes every generation, rollup, key (the calling key too), top-up, receipt, invoice,
notification, queued e-mail, routing policy and setting of the account, then the account, in one transaction:
all or nothing. It cannot be undone; download `GET /api/v1/account/export` first.

`confirm_name` must be the account name exactly (surrounding spaces aside), as on the settings page;
otherwise the answer is 422 and nothing is deleted. The answer counts the rows deleted per table."""


class DeletionIn(BaseModel):
    model_config = ConfigDict(extra='forbid', json_schema_extra={'examples': [{'confirm_name': 'Acme Ltd'}]})

    confirm_name: str = Field(max_length=200, description='the account name, typed exactly, to confirm')


class DeletionOut(Out):
    account_id: int
    name: str = Field(description='the name of the account deleted')
    deleted: dict[str, int] = Field(description='rows deleted per table, the account row last')


@router.get(
    '/account/export',
    summary='The full account export as one ZIP, streamed (scope: manage)',
    description=EXPORT_DESCRIPTION,
    response_class=StreamingResponse,
    responses={200: non_json('application/zip', 'The ZIP, streamed', binary=True)} | GONE,
)
def export_account(session: ReadSessionDep, key: ManageKey) -> StreamingResponse:
    account_id = _account(session, key).id
    session.commit()  # end this request's transaction: the export reads in sessions of its own
    export = stream_export(account_id)  # ExportError (404) when the account was deleted meanwhile
    headers = {'Content-Disposition': f'attachment; filename="{export.file_name}"'}
    return StreamingResponse(export.chunks, media_type='application/zip', headers=headers)


@router.delete(
    '/account',
    summary='Delete the account and everything it holds, after confirmation with its name (scope: manage)',
    description=DELETE_DESCRIPTION,
    responses=GONE,
)
def delete_the_account(session: SessionDep, key: ManageKey, body: DeletionIn) -> DeletionOut:
    account = _account(session, key)
    account_id, name = account.id, account.name
    try:
        counts = delete_account(session, account_id, body.confirm_name)
    except AccountDeletionError as error:
        if error.field != 'account':
            raise  # the confirmation refused: 422, as the shared handler answers it
        # gone meanwhile: 404 as for any missing account here, where the error's kind alone would say 422
        raise APIError(404, 'not_found', error.message) from None
    return DeletionOut(account_id=account_id, name=name, deleted=counts)


def _account(session, key) -> Account:
    account = account_of(session, key)
    if account is None:  # deleted since the key was checked
        raise APIError(404, 'not_found', f'there is no account {key.account_id}')
    return account
