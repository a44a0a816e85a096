"""Open pages without a browser, for bench/live.py: what a tab does on the wire, without rendering.

Each "tab" loads /dashboard, connects the page's socket with the query the page's script would use (its
client id, the implicit handshake), and acknowledges the messages it received every 3 s as that script
does, so the server keeps, sends and forgets exactly what it would for a browser. On a 2-core machine
twenty Chromium tabs redrawing a dashboard every second need more than the whole machine; these cost the
server the same and the machine next to nothing. Each tab notes when a generation id first arrives in an
update (the phone list of Recent transactions carries every shown id as a /transactions/<id> link).
"""

from __future__ import annotations

import ast
import asyncio
import re
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx
import socketio

QUERY = re.compile(r'query: (\{.*?\}),\n')  # the socket query in the page's script (a Python dict's text)
GENERATION = re.compile(r'/transactions/([^"?&<\s]+)')
SOCKET_PATH = '/_nicegui_ws/socket.io'
ACK_EVERY_S = 3.0


class SocketTabs:
    """`count` open pages of `path`, in their own thread and event loop; `seen[i]`: id -> first arrival."""

    def __init__(self, base: str, count: int, path: str = '/dashboard') -> None:
        self.base, self.count, self.path = base, count, path
        self.seen: list[dict[str, float]] = [{} for _ in range(count)]
        self.updates = [0] * count
        self._tabs: list[tuple[socketio.AsyncClient, dict[str, Any]]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name='socket-tabs', daemon=True)

    def __enter__(self) -> SocketTabs:
        self._thread.start()
        if self.count:
            asyncio.run_coroutine_threadsafe(self._open_all(), self._loop).result(timeout=120)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result(timeout=60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    @property
    def connected(self) -> int:
        return sum(sio.connected for sio, _ in self._tabs)

    async def _open_all(self) -> None:
        for index in range(self.count):  # one after the other, as people open them
            await self._open(index)
        self._acks = asyncio.ensure_future(self._ack_loop())

    async def _open(self, index: int) -> None:
        async with httpx.AsyncClient(base_url=self.base, timeout=60) as http:
            response = await http.get(self.path)
        response.raise_for_status()
        found = QUERY.search(response.text)
        if found is None:
            raise RuntimeError(f'no socket query in {self.path}')
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in ast.literal_eval(found[1]).items()}
        query |= {'document_id': str(uuid.uuid4()), 'tab_id': str(uuid.uuid4()), 'old_tab_id': ''}
        state = {'client_id': query['client_id'], 'next': int(query['next_message_id']), 'acked': -1}
        seen = self.seen[index]
        sio = socketio.AsyncClient(reconnection=False)

        async def received(event: str, data: Any = None) -> None:
            now = time.time()
            if isinstance(data, dict) and isinstance(data.get('_id'), int):
                state['next'] = data['_id'] + 1
            if event == 'update' and isinstance(data, dict):
                self.updates[index] += 1
                for element in data.values():
                    html = (element or {}).get('props', {}).get('innerHTML') if isinstance(element, dict) else None
                    if isinstance(html, str):
                        for generation in GENERATION.findall(html):
                            seen.setdefault(generation, now)

        sio.on('*', received)
        await sio.connect(
            f'{self.base}?{urlencode(query)}', socketio_path=SOCKET_PATH, transports=['websocket'], wait_timeout=30
        )
        self._tabs.append((sio, state))

    async def _ack_loop(self) -> None:
        while True:
            await asyncio.sleep(ACK_EVERY_S)
            for sio, state in self._tabs:
                if sio.connected and state['acked'] < state['next']:
                    await sio.emit('ack', {'client_id': state['client_id'], 'next_message_id': state['next']})
                    state['acked'] = state['next']

    async def _close_all(self) -> None:
        if getattr(self, '_acks', None) is not None:
            self._acks.cancel()
        for sio, _ in self._tabs:
            await sio.disconnect()
