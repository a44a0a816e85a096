"""A fast OpenAI-compatible upstream on loopback, in a process of its own: the far end of bench/gateway.py.

    python bench/upstream.py --port 9100     # POST http://127.0.0.1:9100/<anything>/chat/completions

A bare ASGI app under uvicorn (no framework), so the time it takes is small and the same for a direct call
and a call through lowrouter. Any path ending in /chat/completions answers a canned `chat.completion` with a
usage block; with `"stream": true`, an SSE stream of a few content chunks, a usage chunk only when
`stream_options.include_usage` is true, then `data: [DONE]`. GET /health answers 200 (readiness).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
WORDS = ('Hello', ' from', ' the', ' bench', '!')
PROMPT_TOKENS = 9
JSON_HEADERS = [(b'content-type', b'application/json')]
SSE_HEADERS = [(b'content-type', b'text/event-stream'), (b'cache-control', b'no-cache')]
_completions: dict[str, bytes] = {}  # model name -> the canned answer
_streams: dict[tuple[str, bool], list[bytes]] = {}  # (model name, with usage) -> the canned events


def completion(model: str) -> bytes:
    if model not in _completions:
        _completions[model] = json.dumps(
            {
                'id': 'chatcmpl-bench',
                'object': 'chat.completion',
                'created': 1_767_225_600,
                'model': model,
                'choices': [
                    {'index': 0, 'message': {'role': 'assistant', 'content': ''.join(WORDS)}, 'finish_reason': 'stop'}
                ],
                'usage': _usage(),
            }
        ).encode()
    return _completions[model]


def stream_events(model: str, include_usage: bool) -> list[bytes]:
    if (model, include_usage) not in _streams:
        base = {'id': 'chatcmpl-bench', 'object': 'chat.completion.chunk', 'created': 1_767_225_600, 'model': model}
        deltas = [{'role': 'assistant', 'content': ''}, *({'content': w} for w in WORDS)]
        chunks = [base | {'choices': [{'index': 0, 'delta': d, 'finish_reason': None}]} for d in deltas]
        chunks.append(base | {'choices': [{'index': 0, 'delta': {}, 'finish_reason': 'stop'}]})
        if include_usage:
            chunks.append(base | {'choices': [], 'usage': _usage()})
        _streams[model, include_usage] = [f'data: {json.dumps(c)}\n\n'.encode() for c in chunks] + [b'data: [DONE]\n\n']
    return _streams[model, include_usage]


def _usage() -> dict[str, int]:
    return {'prompt_tokens': PROMPT_TOKENS, 'completion_tokens': len(WORDS), 'total_tokens': PROMPT_TOKENS + len(WORDS)}


async def app(scope, receive, send) -> None:
    """The upstream itself (ASGI)."""
    if scope['type'] != 'http':
        return
    path, method = scope['path'], scope['method']
    if method == 'GET' and path == '/health':
        await _answer(send, 200, b'{"ok": true}')
        return
    if method != 'POST' or not path.endswith('/chat/completions'):
        await _answer(send, 404, b'{"error": {"message": "no such path"}}')
        return
    body = b''
    while True:
        message = await receive()
        body += message.get('body', b'')
        if not message.get('more_body'):
            break
    try:
        request = json.loads(body)
        model = str(request['model'])
    except (ValueError, KeyError, TypeError):
        await _answer(send, 400, b'{"error": {"message": "a JSON body with a model is required"}}')
        return
    if not request.get('stream'):
        await _answer(send, 200, completion(model))
        return
    include_usage = bool((request.get('stream_options') or {}).get('include_usage'))
    await send({'type': 'http.response.start', 'status': 200, 'headers': SSE_HEADERS})
    for event in stream_events(model, include_usage):
        await send({'type': 'http.response.body', 'body': event, 'more_body': True})
    await send({'type': 'http.response.body', 'body': b''})


async def _answer(send, status: int, body: bytes) -> None:
    await send({'type': 'http.response.start', 'status': status, 'headers': JSON_HEADERS})
    await send({'type': 'http.response.body', 'body': body})


class UpstreamProcess:
    """`python bench/upstream.py` on a free loopback port until the block ends; `base_url(prefix)` for a
    provider's base URL on it (any prefix answers)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        self.process: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed on exit; a pipe could fill up and stall it)

    def base_url(self, prefix: str) -> str:
        return f'{self.base}/{prefix}/v1'

    def __enter__(self) -> UpstreamProcess:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), '--port', str(self.port)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.log
                self.__exit__()
                raise RuntimeError(f'the bench upstream stopped: {log[-2000:]}')
            try:
                if httpx.get(f'{self.base}/health', timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.05)
        self.__exit__()
        raise TimeoutError('the bench upstream did not answer within 30 s')

    def __exit__(self, *_exc) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()

    @property
    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors='replace')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--port', type=int, required=True)
    options = parser.parse_args()
    uvicorn.run(app, host='127.0.0.1', port=options.port, log_level='warning', access_log=False, lifespan='off')


if __name__ == '__main__':
    main()
