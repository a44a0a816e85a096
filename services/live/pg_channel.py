"""Changes across processes on PostgreSQL: NOTIFY after commit, LISTEN in every process.

- The sender (a thread) takes the change sets this process committed and sends them as one NOTIFY per
  round: while a NOTIFY is under way, whatever commits meanwhile is merged into the next one. The writer's
  request never waits for it, and at 1 000 generations a second the channel carries a few messages a second.
- The listener (a thread) LISTENs on its own connection and publishes what other processes sent to this
  process's bus (its own messages were published locally at commit). When its connection breaks it
  reconnects, and then publishes a change of every account: what was sent meanwhile is not lost, because
  every open page checks again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import threading
import time

import psycopg
from sqlalchemy.engine import make_url

from services.live import bus, changes

log = logging.getLogger('lowrouter')
CHANNEL = 'lowrouter_live'
RETRY_S = (0.5, 1.0, 2.0, 5.0)  # waits between attempts to reach the server again
MAX_PAYLOAD = 7000  # bytes; NOTIFY takes up to 8 000


class Channel:
    def __init__(self, database_url: str) -> None:
        self.conninfo = conninfo(database_url)
        self.origin = f'{os.getpid()}-{secrets.token_hex(4)}'  # this process: its own messages are skipped
        self._pending: dict[int, set[str]] = {}
        self._wake = threading.Condition()
        self._stopping = threading.Event()
        self.listening = threading.Event()  # set while LISTEN is in force (tests wait for it)
        self.sent = 0
        self._threads = [
            threading.Thread(target=self._send_loop, name='lowrouter-live-send', daemon=True),
            threading.Thread(target=self._listen_loop, name='lowrouter-live-listen', daemon=True),
        ]

    def start(self) -> Channel:
        changes.forward(self.send)
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        changes.stop_forwarding(self.send)
        self._stopping.set()
        with self._wake:
            self._wake.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def send(self, committed: bus.Changes) -> None:
        """Queue a committed change set for the other processes (called at commit, never blocks on the server)."""
        with self._wake:
            for account_id, topics in committed.items():
                if account_id is not None:
                    self._pending.setdefault(account_id, set()).update(topics)
            self._wake.notify()

    def _send_loop(self) -> None:
        connection = None
        while not self._stopping.is_set():
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopping.is_set())
                pending, self._pending = self._pending, {}
            if not pending:
                continue
            for attempt, wait in enumerate((0.0, *RETRY_S)):
                time.sleep(wait)
                try:
                    connection = connection or psycopg.connect(self.conninfo, autocommit=True)
                    for payload in self._payloads(pending):
                        connection.execute('SELECT pg_notify(%s, %s)', (CHANNEL, payload))
                    self.sent += 1
                    break
                except psycopg.Error as error:
                    log.warning('live updates: could not notify the other processes (try %d): %s', attempt + 1, error)
                    connection = _closed(connection)
        _closed(connection)

    def _payloads(self, pending: dict[int, set[str]]):
        """The change set as JSON texts within NOTIFY's size limit."""
        items = [[account_id, sorted(topics)] for account_id, topics in sorted(pending.items())]
        while items:
            part, size = [], 0
            while items and (not part or size < MAX_PAYLOAD - 200):
                part.append(items.pop(0))
                size += len(json.dumps(part[-1]))
            yield json.dumps({'o': self.origin, 'c': part})

    def _listen_loop(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f'LISTEN {CHANNEL}')
                    self.listening.set()
                    if failures:  # messages may have been sent while nobody listened: every page checks again
                        bus.publish({None: changes.TOPICS})
                    failures = 0
                    while not self._stopping.is_set():
                        for message in connection.notifies(timeout=0.5):
                            self._received(message.payload)
            except psycopg.Error as error:
                self.listening.clear()
                failures += 1
                log.warning('live updates: the channel to the database broke, reconnecting: %s', error)
                self._stopping.wait(RETRY_S[min(failures, len(RETRY_S)) - 1])
        self.listening.clear()

    def _received(self, payload: str) -> None:
        try:
            message = json.loads(payload)
            if message.get('o') == self.origin:
                return
            received = {int(account_id): frozenset(topics) & changes.TOPICS for account_id, topics in message['c']}
        except (ValueError, KeyError, TypeError):
            log.warning('live updates: ignored a message in an unknown form')
            return
        bus.publish(received)


def conninfo(database_url: str) -> str:
    """The SQLAlchemy URL as libpq takes it (without the driver's name)."""
    return make_url(database_url).set(drivername='postgresql').render_as_string(hide_password=False)


def _closed(connection) -> None:  # returns None, to forget the connection
    if connection is not None:
        with contextlib.suppress(psycopg.Error):
            connection.close()


_channel: Channel | None = None


def start(database_url: str) -> Channel | None:
    """Start this process's channel when the database is PostgreSQL (idempotent); None on SQLite."""
    global _channel
    if not database_url.startswith('postgresql'):
        return None
    if _channel is None or _channel.conninfo != conninfo(database_url):
        stop()
        _channel = Channel(database_url).start()
    return _channel


def stop() -> None:
    global _channel
    if _channel is not None:
        _channel.stop()
        _channel = None
