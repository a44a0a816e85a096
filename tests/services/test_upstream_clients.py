"""Both upstream clients against a real OpenAI-compatible server on loopback: answers, streams, failures."""

import asyncio
import json
import socket

import pytest

from services.routing.upstream_clients import UpstreamUnavailable, client_for
from services.routing.upstreams import Upstream
from tests.support.fake_upstream import FakeUpstream

BODY = {'model': 'llama-3.1-8b-instruct', 'messages': [{'role': 'user', 'content': 'Hello'}]}


@pytest.fixture(scope='module')
def upstream():
    with FakeUpstream() as server:
        yield server


def _client(base_url: str, http2: bool, timeout_s: float = 10):
    return client_for(Upstream('groq', base_url, api_key='sk-test', timeout_s=timeout_s, http2=http2))


@pytest.mark.parametrize('http2', [False, True], ids=['aiohttp', 'httpx-http2'])
def test_an_answer_a_stream_and_an_error_status(upstream, http2):
    async def run():
        client = _client(upstream.base_url('groq'), http2)
        reply = await client.post(json.dumps(BODY).encode())
        answer = json.loads(await reply.read())
        streamed = await client.post(json.dumps(BODY | {'stream': True}).encode())
        chunks = b''.join([chunk async for chunk in streamed.chunks()])
        await streamed.close()
        upstream.failures['groq'] = 503
        upstream.retry_after['groq'] = '7'
        failing = await client.post(json.dumps(BODY).encode())
        await failing.close(early=True)
        await client.close()
        return reply.status, answer, chunks, failing.status, failing.headers.get('retry-after')

    try:
        status, answer, chunks, failing, retry_after = asyncio.run(run())
    finally:
        upstream.failures.clear()
        upstream.retry_after.clear()
    assert status == 200 and answer['choices'][0]['message']['content'] == 'Hello from groq!'
    assert chunks.count(b'data: ') == 5 and chunks.endswith(b'data: [DONE]\n\n')
    assert (failing, retry_after) == (503, '7')
    assert upstream.requests[-1]['body'] == BODY


@pytest.mark.parametrize('http2', [False, True], ids=['aiohttp', 'httpx-http2'])
def test_a_refused_connection_and_a_silent_upstream_are_unavailable(upstream, http2):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        closed_port = s.getsockname()[1]

    async def run(base_url: str, timeout_s: float, body: dict):
        client = _client(base_url, http2, timeout_s)
        try:
            reply = await client.post(json.dumps(body).encode())
            async for _ in reply.chunks():
                pass
        finally:
            await client.close()

    with pytest.raises(UpstreamUnavailable) as refused:
        asyncio.run(run(f'http://127.0.0.1:{closed_port}/v1', 5, BODY))
    assert refused.value.kind == 'connection_error'
    upstream.slow.add('groq')  # 50 ms between chunks, more than the 20 ms allowed
    try:
        with pytest.raises(UpstreamUnavailable) as silent:
            asyncio.run(run(upstream.base_url('groq'), 0.02, BODY | {'stream': True}))
    finally:
        upstream.slow.clear()
    assert silent.value.kind == 'timeout'
