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
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse


class FakeUpstream:
    def __init__(self) -> None:
        self.failures: dict[str, int] = {}  # provider -> HTTP status to answer with
        self.retry_after: dict[str, str] = {}  # provider -> Retry-After header sent with its failures
        self.slow: set[str] = set()  # providers whose streams are long and slow (for clients that leave)
        self.garbled: set[str] = set()  # providers that answer 200 with a body that is no completion
        self.streams_closed_early = 0  # streams the caller closed before their end
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
            headers = {'Retry-After': self.retry_after[provider]} if provider in self.retry_after else None
            body = {'error': {'message': f'{provider} is failing on purpose'}}
            return JSONResponse(body, status_code=status, headers=headers)
        if provider in self.garbled:
            return PlainTextResponse('<html>gateway maintenance</html>')
        words = ['Hello', ' from', f' {provider}', '!']
        if provider in self.slow:
            words = [f' word{i}' for i in range(200)]
        prompt_tokens = 7 * len(body['messages'])
        if not body.get('stream'):
            return {
                'id': 'chatcmpl-1',
                'object': 'chat.completion',
                'created': 0,
                'model': body['model'],
                'choices': [_choice(body, i, ''.join(words)) for i in range(body.get('n') or 1)],
                'usage': {
                    'prompt_tokens': prompt_tokens,
                    'completion_tokens': len(words),
                    'total_tokens': prompt_tokens + len(words),
                },
            }

        async def events():
            try:
                for word in words:
                    chunk = {'id': 'c', 'object': 'chat.completion.chunk', 'created': 0, 'model': body['model'],
                             'choices': [{'index': 0, 'delta': {'content': word}, 'finish_reason': None}]}  # fmt: skip
                    yield f'data: {json.dumps(chunk)}\n\n'
                    await asyncio.sleep(0.05)
            except BaseException:
                self.streams_closed_early += 1
                raise
            if (body.get('stream_options') or {}).get('include_usage'):
                usage = {
                    'prompt_tokens': prompt_tokens,
                    'completion_tokens': len(words),
                    'total_tokens': prompt_tokens + len(words),
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


def _choice(body: dict, index: int, text: str) -> dict:
    """One choice, shaped by what the request asked for: tool calls, JSON mode, log probabilities."""
    message: dict = {'role': 'assistant', 'content': text}
    finish = 'stop'
    if body.get('tools'):
        name = body['tools'][0]['function']['name']
        message = {'role': 'assistant', 'content': None, 'tool_calls': [
            {'id': f'call_{index}', 'type': 'function', 'function': {'name': name, 'arguments': '{"city": "Paris"}'}}
        ]}  # fmt: skip
        finish = 'tool_calls'
    elif (body.get('response_format') or {}).get('type') == 'json_object':
        message['content'] = json.dumps({'greeting': text})
    choice = {'index': index, 'message': message, 'finish_reason': finish}
    if body.get('logprobs'):
        choice['logprobs'] = {'content': [{'token': 'Hello', 'logprob': -0.25, 'bytes': [72, 101, 108, 108, 111],
                                           'top_logprobs': []}]}  # fmt: skip
    return choice
