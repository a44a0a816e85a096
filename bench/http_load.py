"""A lean HTTP/1.1 load client for bench/gateway.py: keep-alive connections on asyncio streams.

On a 2-core machine the load generator, lowrouter and the upstream share the cores, so every millisecond the
client spends is taken from the server it measures. httpx's AsyncClient with 16 connections reached about
370 requests/s against bench/upstream.py alone there (one client per connection: about 720/s); this client
sends prebuilt requests and reads answers by Content-Length or chunked encoding, at a small part of that cost.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Load:
    answered: int = 0  # 200 answers holding the expected text
    seconds: float = 0.0
    errors: Counter = field(default_factory=Counter)  # 'status or exception' -> count

    @property
    def per_s(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def request_bytes(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    parts = urlsplit(url)
    lines = [f'POST {parts.path} HTTP/1.1', f'Host: {parts.netloc}', f'Content-Length: {len(body)}']
    lines += [f'{name}: {value}' for name, value in headers.items()]
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


async def run(url: str, body: bytes, headers: dict[str, str], *, seconds: float, clients: int, expect: bytes) -> Load:
    """`clients` connections, each sending one request after the other for `seconds` (after one warm-up
    request each, not counted). A 200 answer counts when its body holds `expect`."""
    parts = urlsplit(url)
    request = request_bytes(url, body, headers)
    load = Load()
    connections = [_Connection(parts.hostname, parts.port or 80) for _ in range(clients)]
    for connection in connections:
        await connection.open()
    await asyncio.gather(*(_checked(c, request, expect) for c in connections))
    deadline = time.perf_counter() + seconds

    async def client(connection: _Connection) -> None:
        while time.perf_counter() < deadline:
            try:
                status, answer = await connection.send(request)
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                load.errors[f'{type(error).__name__} {error}'] += 1
                await connection.open()
                continue
            if status == 200 and expect in answer:
                load.answered += 1
            else:
                load.errors[f'{status} {answer[:200]!r}'] += 1

    began = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    load.seconds = time.perf_counter() - began
    for connection in connections:
        connection.close()
    return load


async def _checked(connection: _Connection, request: bytes, expect: bytes) -> None:
    status, answer = await connection.send(request)
    if status != 200 or expect not in answer:
        raise RuntimeError(f'the first request answered {status}: {answer[:500]!r}')


class _Connection:
    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b'\r\n\r\n')
        status_line, *header_lines = head[:-4].split(b'\r\n')
        status = int(status_line.split(b' ', 2)[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(b':')
            headers[name.strip().lower()] = value.strip().lower()
        if b'content-length' in headers:
            answer = await self.reader.readexactly(int(headers[b'content-length']))
        elif headers.get(b'transfer-encoding') == b'chunked':
            answer = await self._chunked()
        else:  # the body ends with the connection
            answer = await self.reader.read()
            await self.open()
        if headers.get(b'connection') == b'close':
            await self.open()
        return status, answer

    async def _chunked(self) -> bytes:
        pieces = []
        while True:
            size = int((await self.reader.readuntil(b'\r\n')).split(b';')[0], 16)
            if size == 0:
                while await self.reader.readuntil(b'\r\n') != b'\r\n':  # trailers, then the empty line
                    pass
                return b''.join(pieces)
            pieces.append((await self.reader.readexactly(size + 2))[:-2])
