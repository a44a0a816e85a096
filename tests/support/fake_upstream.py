"""A small OpenAI-compatible upstream on loopback for router tests, with switchable failures per provider.

Each provider is a path prefix: http://127.0.0.1:PORT/<provider>/v1/chat/completions.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse


class FakeUpstream:
    def __init__(self) -> None:
        self.failures: dict[str, int] = {}  # provider -> HTTP status to answer with
        self.requests: list[dict] = []
        self.app = FastAPI()
        self.app.post('/{provider}/v1/chat/completions')(self._complete)
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(self.app, host='127.0.0.1', port=self.port, log_level='warning'))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def base_url(self, provider: str) -> str:
        return f'http://127.0.0.1:{self.port}/{provider}/v1'

    def __enter__(self) -> FakeUpstream:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    async def _complete(self, provider: str, request: Request):
        body = await request.json()
        self.requests.append({'provider': provider, 'body': body})
        status = self.failures.get(provider)
        if status:
            return JSONResponse({'error': {'message': f'{provider} is failing on purpose'}}, status_code=status)
        words = ['Hello', ' from', f' {provider}', '!']
        prompt_tokens = 7 * len(body['messages'])
        if not body.get('stream'):
            return {
                'id': 'chatcmpl-1',
                'object': 'chat.completion',
                'created': 0,
                'model': body['model'],
                'choices': [
                    {'index': 0, 'message': {'role': 'assistant', 'content': ''.join(words)}, 'finish_reason': 'stop'}
                ],
                'usage': {
                    'prompt_tokens': prompt_tokens,
                    'completion_tokens': len(words),
                    'total_tokens': prompt_tokens + 4,
                },
            }

        async def events():
            for word in words:
                chunk = {'id': 'c', 'object': 'chat.completion.chunk', 'created': 0, 'model': body['model'],
                         'choices': [{'index': 0, 'delta': {'content': word}, 'finish_reason': None}]}  # fmt: skip
                yield f'data: {json.dumps(chunk)}\n\n'
                await asyncio.sleep(0.05)
            if (body.get('stream_options') or {}).get('include_usage'):
                usage = {
                    'prompt_tokens': prompt_tokens,
                    'completion_tokens': len(words),
                    'total_tokens': prompt_tokens + 4,
                }
                final = {
                    'id': 'c',
                    'object': 'chat.completion.chunk',
                    'created': 0,
                    'model': body['model'],
                    'choices': [],
                }
                yield f'data: {json.dumps(final | {"usage": usage})}\n\n'
            yield 'data: [DONE]\n\n'

        return StreamingResponse(events(), media_type='text/event-stream')
