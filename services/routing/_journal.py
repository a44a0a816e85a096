"""The router's journal: a routed generation is appended here before its answer is sent.

An answer may leave only once its record is safe. Committing a database transaction per request would cost
each answer about 2 ms on a small machine (more than the whole overhead allowed); appending one line to a
local file costs microseconds and survives the process: once `append` returns, the line is with the
operating system, so a process that dies right after answering loses nothing. The recorder
(services/routing/recorder.py) stores the journalled generations in the database a few milliseconds later, many per
transaction, and empties the journal when it has caught up. At start-up, journals left by processes that died
are read and whatever they hold that the database lacks is stored (`replay`).

Each process writes its own file, `<pid>-<start>.jsonl`, and holds an exclusive lock on it while it lives, so
a starting process can tell a dead process's journal from a live one's. The journals of a
database are in a folder of their own: next to the SQLite file, or under `router-journal/` in the working
directory for a server database; LOWROUTER_JOURNAL_DIR moves them elsewhere.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import make_url

from services.config import sqlite_path

log = logging.getLogger('lowrouter')
SUFFIX = '.jsonl'


def journal_dir(database_url: str) -> Path:
    """The database's own folder of journals (a journal is replayed only into the database it was written for)."""
    base = os.environ.get('LOWROUTER_JOURNAL_DIR')
    url = make_url(database_url)
    if url.drivername.startswith('sqlite'):
        database_file = sqlite_path(database_url)
        name = (database_file.name if database_file else 'in-memory') + '-router-journal'
        return Path(base) / name if base else (database_file.parent if database_file else Path()) / name
    return Path(base or 'router-journal') / f'{url.host or "local"}-{url.port or "default"}-{url.database}'


class Journal:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f'{os.getpid()}-{time.time_ns()}{SUFFIX}'
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while we live
        self._lock = threading.Lock()
        self.appended = 0  # entries written since the file was last emptied
        self.closed = False

    def append(self, entry: dict[str, Any]) -> int:
        """Write one entry; OSError when it could not be written (a full disk): then nothing may be answered.
        Returns the entry's number since the journal was last emptied."""
        line = orjson.dumps(entry) + b'\n'
        with self._lock:
            written = os.write(self._fd, line)
            if written != len(line):  # a partial line (the disk filled up mid-write) is ignored at replay
                raise OSError(f'the router journal is full ({written} of {len(line)} bytes written)')
            self.appended += 1
            return self.appended

    def empty_if(self, caught_up: Callable[[int], bool]) -> bool:
        """Truncate the file when `caught_up(entries appended)` says all of them are in the database."""
        with self._lock:
            if self.appended and caught_up(self.appended):
                os.ftruncate(self._fd, 0)
                self.appended = 0
                return True
        return False

    def close(self, *, remove: bool) -> None:
        if self.closed:
            return
        self.closed = True
        os.close(self._fd)  # releases the lock
        if remove:
            with contextlib.suppress(OSError):
                self.path.unlink()


def orphans(folder: Path) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """The journals of processes that are gone (their lock is free), with their readable entries. A file is
    yielded while locked by the caller; remove it after storing its entries (`finished`)."""
    if not folder.is_dir():
        return
    for path in sorted(folder.glob(f'*{SUFFIX}')):
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live process's journal
            yield path, _entries(path)
        finally:
            os.close(fd)


def _entries(path: Path) -> list[dict[str, Any]]:
    entries = []
    for number, line in enumerate(path.read_bytes().splitlines(), 1):
        try:
            entries.append(orjson.loads(line))
        except orjson.JSONDecodeError:
            log.warning('%s, line %d: not a complete entry (cut off when its process died?); skipped', path, number)
    return entries
