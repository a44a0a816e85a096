"""bench/gateway.py end to end in a tiny plan, and its loopback upstream (bench/upstream.py)."""

import json
import time

import httpx
from sqlmodel import func, select

from bench import gateway
from bench.upstream import PROMPT_TOKENS, WORDS, UpstreamProcess
from services import db
from services.models import Generation
from tests.conftest import fresh_database


def test_the_upstream_answers_like_openai_and_sends_usage_only_when_asked():
    with UpstreamProcess() as upstream, httpx.Client(base_url=upstream.base_url('any')) as client:
        body = {'model': 'llama', 'messages': [{'role': 'user', 'content': 'hi'}]}
        completion = client.post('/chat/completions', json=body).json()
        assert completion['choices'][0]['message']['content'] == ''.join(WORDS)
        assert completion['usage'] == {
            'prompt_tokens': PROMPT_TOKENS,
            'completion_tokens': len(WORDS),
            'total_tokens': PROMPT_TOKENS + len(WORDS),
        }
        for include_usage in (False, True):
            options = {'stream': True, 'stream_options': {'include_usage': include_usage}}
            lines = client.post('/chat/completions', json=body | options).text.split('\n\n')
            assert lines[-2:] == ['data: [DONE]', '']
            chunks = [json.loads(line.removeprefix('data: ')) for line in lines[:-2]]
            assert ''.join(c['choices'][0]['delta'].get('content', '') for c in chunks if c['choices']) == ''.join(
                WORDS
            )
            assert [c.get('usage') for c in chunks if 'usage' in c] == ([completion['usage']] if include_usage else [])
        assert client.post('/elsewhere', json=body).status_code == 404


def test_a_tiny_gateway_run_measures_every_figure_and_records_each_routed_call(tmp_path):
    plan = gateway.Plan(sequential=20, streams=5, seconds=1, warm_up=5)
    with fresh_database(tmp_path) as url:
        result = gateway.measure(url, plan)
        assert len(result.added_ms) == len(result.direct_ms) == 20
        assert len(result.ttft_added_ms) == 5
        assert all(ms > 0 for ms in result.direct_ms + result.direct_ttft_ms)
        assert result.routed_per_s > 0 and result.direct_per_s > 0 and not result.errors
        rows = result.rows('SQLite')
        assert [r.figure for r in rows] == [
            'gateway: upstream alone, sequential',
            'gateway: added latency, median',
            'gateway: added latency, p95',
            'gateway: x-lowrouter-overhead-ms header',
            'gateway: stream first token added, median',
            'gateway: routed requests/s, 16 clients',
        ]
        assert [r.met is None for r in rows] == [True, False, False, True, False, False]
        db.init_db(url)
        deadline = time.monotonic() + 10
        while (recorded := _completed(gateway.MODEL)) < result.routed and time.monotonic() < deadline:
            time.sleep(0.1)  # a stream's generation is written when it ends
        assert recorded == result.routed


def _completed(model: str) -> int:
    with db.read_scope() as session:
        query = select(func.count()).select_from(Generation)
        return session.exec(query.where(Generation.model == model, Generation.status == 'completed')).one()
