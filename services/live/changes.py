"""Writers note what they changed; the note is published after their transaction commits.

`note(session, account_id, topic)` keeps the change in the session until its outermost transaction ends:
`after_commit` publishes it to this process's bus and, on PostgreSQL, to the other processes (pg_channel);
a rollback of the whole transaction forgets it. So nothing is announced that is not in the database, and a
page that reads after the announcement finds it.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from services.live import bus
from services.models import ApiKey, LedgerEntry, Receipt, RoutingPolicy

TOPICS = frozenset({'usage', 'balance', 'keys', 'routing'})
# ORM rows whose change is noted by itself (before_flush): every writer of keys, routing settings and ledger
# entries is covered, whatever its path. Generations are written with Core inserts: their writers call note()
# (services/usage/ingest.add_to_totals, which every writer of generations calls).
ROW_TOPICS = {ApiKey: 'keys', RoutingPolicy: 'routing', LedgerEntry: 'balance', Receipt: 'balance'}
_KEY = 'lowrouter_live_changes'
_forwarders: list = []  # called with every committed change set besides the bus (pg_channel's sender)


def note(session: Session, account_id: int, *topics: str) -> None:
    """Remember that this transaction changes `topics` of the account (published on commit)."""
    unknown = set(topics) - TOPICS
    if unknown:
        raise ValueError(f'unknown live topics: {sorted(unknown)}')
    pending: dict[int, set[str]] = session.info.setdefault(_KEY, {})
    pending.setdefault(account_id, set()).update(topics)


def note_generations(session: Session, rows: list[dict]) -> None:
    """Stored generations (column dicts) change their accounts' usage and balance."""
    for account_id in {row['account_id'] for row in rows}:
        note(session, account_id, 'usage', 'balance')


def forward(sender) -> None:
    """Also hand every committed change set to `sender` (the cross-process channel)."""
    if sender not in _forwarders:
        _forwarders.append(sender)


def stop_forwarding(sender) -> None:
    if sender in _forwarders:
        _forwarders.remove(sender)


@event.listens_for(Session, 'before_flush')
def _rows_changed(session: Session, _context, _instances) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        topic = ROW_TOPICS.get(type(row))
        account_id = getattr(row, 'account_id', None)
        if topic and account_id is not None:
            note(session, account_id, topic)


@event.listens_for(Session, 'after_commit')
def _committed(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: its transaction is still open
    pending = session.info.pop(_KEY, None)
    if not pending:
        return
    changes = {account_id: frozenset(topics) for account_id, topics in pending.items()}
    bus.publish(changes)
    for sender in list(_forwarders):
        sender(changes)


@event.listens_for(Session, 'after_soft_rollback')
def _rolled_back(session: Session, previous) -> None:
    if previous.parent is None:  # the whole transaction; a savepoint's rollback keeps the notes (at worst a
        session.info.pop(_KEY, None)  # page checks again and finds nothing new)
