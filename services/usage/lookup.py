"""Finding one generation of an account by its id, or saying why it cannot be found.

The words are the API's (GET /api/v1/generations/{id}): a generation deleted under the account's data-retention
setting is "pruned", and still counts in every total; any other id is not in this account.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from services.models import Account
from services.usage.retention import was_pruned
from services.usage.totals import get_generation

MAX_ID = 100  # no generation id is longer (the API refuses longer ones too)


@dataclass(frozen=True)
class Lookup:
    """What a search for an id found: `generation_id` when it is stored, else why not (`pruned`, `message`)."""

    query: str
    generation_id: str | None = None
    pruned: bool = False
    message: str | None = None

    @property
    def found(self) -> bool:
        return self.generation_id is not None


def find_generation(session: Session, account: Account, text: str) -> Lookup:
    """The generation of `account` whose id is `text` (surrounding spaces ignored)."""
    query = (text or '').strip()
    if not query:
        return Lookup(query, message='Type a generation id, e.g. gen-…')
    if len(query) > MAX_ID:
        return Lookup(query, message=f'A generation id is at most {MAX_ID} characters long.')
    if get_generation(session, account.id, query) is not None:
        return Lookup(query, generation_id=query)
    if was_pruned(account, query, session=session):
        return Lookup(query, pruned=True, message=pruned_message(account, query))
    return Lookup(query, message=f'No generation with id {query!r} in this account.')


def pruned_message(account: Account, generation_id: str) -> str:
    """Why a generation issued before the last pruning is gone (the API's 410 message)."""
    setting = (
        f'raw generations are kept {account.retention_days} days'
        if account.retention_days
        else 'the setting in force then; retention is off now'
    )
    ran = account.pruned_at.isoformat(timespec='seconds').replace('+00:00', 'Z')
    return (
        f"generation {generation_id!r} was deleted under this account's data-retention setting ({setting}) "
        f'when pruning ran at {ran}; its cost, tokens, energy and carbon still count in every total'
    )
