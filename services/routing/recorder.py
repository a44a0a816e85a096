"""Recording routed generations: journalled before the answer, stored in the database right after, in batches.

`record(entry)` appends the request's outcome to this process's journal (services/routing/_journal.py) and queues it;
when it returns, the record is safe and the answer may go. One writer thread stores whatever has queued up
in one transaction, gathering for 10 ms after the first (group commit: a transaction carries many
generations, as a batch on the ingest endpoint does, and costs each a fraction), then empties the journal
once everything in it is stored. If the database refuses (it is down, the disk is full), the writer keeps
the entries and tries again; they are also in the journal for the next start. `wait_stored(id)` waits until
a generation of this process is in the database, so asking for it right after its answer finds it.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from sqlmodel import Session, select

from services import db
from services.models import Generation
from services.routing._journal import Journal, journal_dir, orphans
from services.routing.inference import store

log = logging.getLogger('lowrouter')
MAX_BATCH = 500
GATHER_S = 0.01  # after the first entry, wait this long for others to share its transaction
RETRY_S = (0.05, 0.2, 1.0, 5.0)  # waits between tries while the database refuses


class Recorder:
    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.journal = Journal(journal_dir(database_url))
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._done = threading.Condition()
        self._pending: set[str] = set()
        self._stored = 0  # entries stored since the journal was last emptied
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name='lowrouter-recorder', daemon=True)
        self._thread.start()

    def record(self, entry: dict[str, Any]) -> None:
        """Journal the entry (OSError: it could not be; answer an error) and queue it for the database."""
        with self._done:
            self.journal.append(entry)
            self._pending.add(entry['id'])
        self._queue.put(entry)

    def pending(self, generation_id: str) -> bool:
        return generation_id in self._pending

    def wait_stored(self, generation_id: str, timeout: float = 5.0) -> bool:
        """Block until the generation is in the database (or was never queued here); False on timeout."""
        with self._done:
            return self._done.wait_for(lambda: generation_id not in self._pending, timeout)

    def stop(self, timeout: float = 10.0) -> bool:
        """Store what is queued and stop; the journal is removed when everything in it is stored."""
        self._stopping = True
        self._queue.put(None)
        self._thread.join(timeout)
        drained = not self._pending
        self.journal.close(remove=drained)
        return drained

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is not None and not self._stopping:
                time.sleep(GATHER_S)  # one transaction for what arrives meanwhile: far less work per generation
            batch = [first] if first is not None else []
            while len(batch) < MAX_BATCH:
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    break
                if entry is not None:
                    batch.append(entry)
            if batch:
                self._store(batch)
            if first is None or (self._stopping and self._queue.empty()):
                return

    def _store(self, batch: list[dict[str, Any]]) -> None:
        """Store the batch, trying again while the database refuses (the entries are safe in the journal; when
        stopping, what cannot be stored stays there for the next start)."""
        attempt = 0
        while True:
            try:
                with Session(db.get_engine(self.database_url), expire_on_commit=False) as session:
                    store(session, _missing(session, batch) if attempt else batch)
                    session.commit()
                break
            except Exception as error:
                if self._stopping and attempt:
                    log.error('could not store %d routed generations (kept in the journal): %s', len(batch), error)
                    return
                log.warning('storing %d routed generations failed, trying again: %s', len(batch), error)
                time.sleep(RETRY_S[min(attempt, len(RETRY_S) - 1)])
                attempt += 1
        with self._done:
            self._stored += len(batch)
            self._pending.difference_update(e['id'] for e in batch)
            self._done.notify_all()
            if not self._pending and self.journal.empty_if(lambda appended: appended == self._stored):
                self._stored = 0


def _missing(session, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries not stored yet (a retry after a commit whose answer was lost, or a replay)."""
    ids = [e['id'] for e in entries]
    have = set(session.exec(select(Generation.id).where(Generation.id.in_(ids)))) if ids else set()
    return [e for e in entries if e['id'] not in have]


def replay(database_url: str) -> int:
    """Store what the journals of dead processes hold and the database lacks; remove those journals. A journal
    that cannot be stored is renamed *.unstored and reported, never lost and never blocking the start."""
    total = 0
    for path, entries in orphans(journal_dir(database_url)):
        try:
            with db.session_scope() as session:
                for start in range(0, len(entries), MAX_BATCH):
                    missing = _missing(session, entries[start : start + MAX_BATCH])
                    store(session, missing)
                    total += len(missing)
        except Exception as error:
            path.rename(path.with_suffix('.unstored'))
            log.error('router journal %s could not be stored (%s); kept as %s', path, error, path.stem + '.unstored')
            continue
        path.unlink()
        log.info('router journal %s: the %d generations it held that were missing are now stored', path.name, total)
    return total


_recorder: Recorder | None = None
_lock = threading.Lock()


def get_recorder() -> Recorder:
    """This process's recorder for the database in use (a new database, as in tests, gets a new one)."""
    global _recorder
    recorder = _recorder
    if recorder is None or recorder.database_url != db.current_url():
        with _lock:
            if _recorder is None or _recorder.database_url != db.current_url():
                if _recorder is not None:
                    _recorder.stop()
                _recorder = Recorder(db.current_url())
            recorder = _recorder
    return recorder


def start() -> None:
    """At start-up: replay dead processes' journals, then open this process's."""
    replay(db.current_url())
    get_recorder()


def stop() -> None:
    global _recorder
    recorder, _recorder = _recorder, None
    if recorder is not None:
        recorder.stop()


def wait_stored(generation_id: str, timeout: float = 5.0) -> None:
    """Block until a generation this process answered is in the database (at once when it is not pending)."""
    recorder = _recorder
    if recorder is not None and recorder.pending(generation_id):
        recorder.wait_stored(generation_id, timeout)
