"""The router's connections to its upstreams: one pooled HTTP client per provider, for the life of the process.

`start()` runs at start-up and `close()` at shutdown (app.py). Each configured provider gets a client that
keeps connections alive between requests (services/routing/upstream_clients.py: HTTP/1.1 through aiohttp, or HTTP/2
through httpx for a provider configured with `http2 = true`). Creating a client per request cost each
request a TLS context and a new connection: most of the 28 ms the router used to add.

The configuration file is read at start-up and again when it changes on disk (checked at most once a
second), so adding a provider to upstreams.toml needs no restart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

from services.routing.upstream_clients import UpstreamClient, client_for
from services.routing.upstream_health import Health
from services.routing.upstreams import DEFAULT_FILE, Upstream, UpstreamConfigError, load_upstreams

log = logging.getLogger('lowrouter')
RECHECK_S = 1.0  # how often the configuration file's modification time is looked at


class Gateway:
    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or os.environ.get('LOWROUTER_UPSTREAMS') or DEFAULT_FILE)
        self.upstreams: dict[str, Upstream] = {}
        self.clients: dict[str, UpstreamClient] = {}
        self.health = Health()
        self._stamp: float | None = None  # the file's modification time when last read (-1: absent)
        self._checked = 0.0
        self._retired: list[UpstreamClient] = []
        self.reload(force=True)

    def current(self) -> dict[str, Upstream]:
        """The configured providers (re-read when the file changed; a broken file keeps the last good set)."""
        now = time.monotonic()
        if now - self._checked >= RECHECK_S:
            self._checked = now
            try:
                self.reload()
            except UpstreamConfigError as error:
                log.error('upstreams not reloaded, keeping the previous ones: %s', error)
        return self.upstreams

    def reload(self, *, force: bool = False) -> None:
        try:
            stamp = self.path.stat().st_mtime
        except OSError:
            stamp = -1.0
        if not force and stamp == self._stamp:
            return
        upstreams = load_upstreams(self.path)
        self._stamp = stamp
        for provider in list(self.clients):
            if upstreams.get(provider) != self.upstreams.get(provider):
                self._retired.append(self.clients.pop(provider))  # closed at shutdown: a request may still use it
        self.upstreams = upstreams

    def client(self, upstream: Upstream) -> UpstreamClient:
        client = self.clients.get(upstream.provider)
        if client is None:
            client = self.clients[upstream.provider] = client_for(upstream)
        return client

    async def close(self) -> None:
        clients = [*self.clients.values(), *self._retired]
        self.clients.clear()
        self._retired.clear()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


_gateway: Gateway | None = None


def get_gateway() -> Gateway:
    """The process's gateway (made on first use when start() did not run, e.g. in tests of the API alone)."""
    global _gateway
    if _gateway is None:
        _gateway = Gateway()
    return _gateway


def start() -> None:
    get_gateway()


async def close() -> None:
    global _gateway
    gateway, _gateway = _gateway, None
    if gateway is not None:
        await gateway.close()
