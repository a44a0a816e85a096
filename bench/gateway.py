"""lowrouter as a gateway: the time it adds to a chat completion, against a fast upstream on loopback.

    python bench/gateway.py                  # SQLite: 2 000 request pairs, 300 stream pairs, 20 s of load
    python bench/gateway.py --quick          # 300 pairs, 50 stream pairs, 5 s of load
    python bench/gateway.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432

The upstream is bench/upstream.py (a bare ASGI app under uvicorn, in its own process); lowrouter is
`python app.py --no-demo` on a fresh database, with every provider of MODEL pointed at that upstream, an
account with a large balance and an inference key. With keep-alive connections:

- sequential, not streamed: one call straight to the upstream, then the same call through lowrouter, repeated
  after a warm-up; the added latency of a pair is the difference. Median and p95 of it, and the median of the
  `x-lowrouter-overhead-ms` header lowrouter sends (when it does).
- streams: the same pairs streamed; added time to the first content chunk, median.
- throughput: 16 clients at once through lowrouter for some seconds: routed requests per second and errors
  (the upstream alone, with the same clients, for comparison). The clients are bench/http_load.py, a lean
  HTTP/1.1 client: on 2 cores, httpx's own cost would be taken from lowrouter's and cap the figure.

Targets: added median <= 2 ms and p95 <= 5 ms, stream time to first token added <= 3 ms, >= 400 routed
requests/s with 0 errors. Exit status 3 when a target is missed (as bench/run.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import http_load  # noqa: E402
from bench.report import Row, table  # noqa: E402
from bench.server import AppProcess  # noqa: E402
from bench.upstream import WORDS, UpstreamProcess  # noqa: E402
from services import db  # noqa: E402
from services.account.accounts import create_account  # noqa: E402
from services.billing.ledger import top_up  # noqa: E402
from services.catalog import get_catalog  # noqa: E402
from services.keys.api_keys import create_key  # noqa: E402

MODEL = 'meta-llama/llama-3.1-8b-instruct'
MESSAGES = [{'role': 'user', 'content': 'Say hello.'}]
ANSWER = ''.join(WORDS)
CLIENTS = 16
ADDED_MEDIAN_MS, ADDED_P95_MS, TTFT_ADDED_MS, REQUESTS_PER_S = 2.0, 5.0, 3.0, 400
JSON = {'Content-Type': 'application/json'}


class BenchError(RuntimeError):
    """A call that should have worked did not: the figures would mean nothing."""


@dataclass
class Plan:
    sequential: int  # pairs (direct, routed), not streamed
    streams: int  # pairs, streamed
    seconds: float  # of load, through lowrouter (and as long again straight to the upstream)
    warm_up: int = 50  # pairs before measuring


FULL = Plan(2000, 300, 20)
QUICK = Plan(300, 50, 5)


@dataclass
class Result:
    direct_ms: list[float] = field(default_factory=list)
    added_ms: list[float] = field(default_factory=list)
    header_ms: list[float] = field(default_factory=list)  # x-lowrouter-overhead-ms, when sent
    direct_ttft_ms: list[float] = field(default_factory=list)
    ttft_added_ms: list[float] = field(default_factory=list)
    routed_per_s: float = 0.0
    direct_per_s: float = 0.0
    errors: Counter = field(default_factory=Counter)  # under load: 'status or exception' -> count
    routed: int = 0  # routed calls answered 200, each recorded as a generation

    def rows(self, backend: str) -> list[Row]:
        median, p95, ttft = _median(self.added_ms), _p95(self.added_ms), _median(self.ttft_added_ms)
        header = f'median {_median(self.header_ms):.2f} ms' if self.header_ms else 'not sent'
        errors = sum(self.errors.values())
        load = f'{self.routed_per_s:,.0f} req/s, {errors} errors (upstream alone: {self.direct_per_s:,.0f} req/s)'
        figures = [
            ('upstream alone, sequential', f'median {_median(self.direct_ms):.2f} ms', None, None),
            ('added latency, median', f'{median:.2f} ms', f'<= {ADDED_MEDIAN_MS:g} ms', median <= ADDED_MEDIAN_MS),
            ('added latency, p95', f'{p95:.2f} ms', f'<= {ADDED_P95_MS:g} ms', p95 <= ADDED_P95_MS),
            ('x-lowrouter-overhead-ms header', header, None, None),
            ('stream first token added, median', f'{ttft:.2f} ms', f'<= {TTFT_ADDED_MS:g} ms', ttft <= TTFT_ADDED_MS),
            (
                f'routed requests/s, {CLIENTS} clients',
                load,
                f'>= {REQUESTS_PER_S} req/s, 0 errors',
                self.routed_per_s >= REQUESTS_PER_S and not errors,
            ),
        ]
        return [Row(backend, f'gateway: {figure}', *rest) for figure, *rest in figures]

    def __str__(self) -> str:
        header = f'{_median(self.header_ms):.2f} ms' if self.header_ms else 'not sent'
        return (
            f'added median {_median(self.added_ms):.2f} ms, p95 {_p95(self.added_ms):.2f} ms '
            f'(upstream alone {_median(self.direct_ms):.2f} ms); x-lowrouter-overhead-ms median {header}; '
            f'stream first token added {_median(self.ttft_added_ms):.2f} ms; {self.routed_per_s:,.0f} routed '
            f'req/s with {CLIENTS} clients, {sum(self.errors.values())} errors '
            f'(upstream alone {self.direct_per_s:,.0f} req/s)'
        )


def measure(url: str, plan: Plan) -> Result:
    """Prepare the database at `url` (which must be empty), start the upstream and the app, and measure."""
    secret = prepare(url)
    with tempfile.TemporaryDirectory() as folder, UpstreamProcess() as upstream:
        config = Path(folder) / 'upstreams.toml'
        config.write_text(upstreams_toml(upstream))
        env = {'LOWROUTER_UPSTREAMS': str(config), 'LOWROUTER_JOURNAL_DIR': folder}  # journals of this run only
        with AppProcess(url, env=env) as app:
            direct = Target(f'{upstream.base_url("direct")}/chat/completions', model_name(), {})
            routed = Target(f'{app.base}/api/v1/chat/completions', MODEL, {'Authorization': f'Bearer {secret}'})
            result = Result()
            with httpx.Client(timeout=30) as client:
                sequential(client, direct, routed, plan, result)
                streams(client, direct, routed, plan, result)
            result.direct_per_s = load(direct, plan.seconds).per_s
            routed_load = load(routed, plan.seconds)
            result.routed_per_s, result.errors = routed_load.per_s, routed_load.errors
            result.routed += routed_load.answered + CLIENTS  # and one warm-up request per client
    db.dispose_all()
    return result


@dataclass
class Target:
    url: str
    model: str
    headers: dict[str, str]

    def body(self, *, stream: bool = False) -> bytes:
        return json.dumps({'model': self.model, 'messages': MESSAGES, 'max_tokens': 16, 'stream': stream}).encode()


def prepare(url: str) -> str:
    """An account with a large balance and an inference key (its secret is returned) in the database at `url`."""
    db.init_db(url)
    with db.session_scope() as session:
        account = create_account(session, name='Gateway bench')
        top_up(session, account, '10000.00', method='bank_transfer', idempotency_key='gateway-bench')
        return create_key(session, account, name='gateway bench', scopes=['inference']).secret


def upstreams_toml(upstream: UpstreamProcess) -> str:
    """Every provider offering MODEL, each on the loopback upstream (keyless), so routing always has an offer."""
    providers = sorted({offer.provider for offer in get_catalog().offers_for(MODEL)})
    return ''.join(f'[providers.{p}]\nbase_url = "{upstream.base_url(p)}"\n\n' for p in providers)


def model_name() -> str:
    """The name lowrouter sends upstream for MODEL (no provider renames it in upstreams_toml)."""
    return MODEL.split('/', 1)[1]


def sequential(client: httpx.Client, direct: Target, routed: Target, plan: Plan, result: Result) -> None:
    for _ in range(plan.warm_up):
        _call(client, direct)
        _call(client, routed)
    for _ in range(plan.sequential):
        direct_ms, _ = _call(client, direct)
        routed_ms, response = _call(client, routed)
        result.direct_ms.append(direct_ms)
        result.added_ms.append(routed_ms - direct_ms)
        if 'x-lowrouter-overhead-ms' in response.headers:
            result.header_ms.append(float(response.headers['x-lowrouter-overhead-ms']))
    result.routed += plan.warm_up + plan.sequential


def streams(client: httpx.Client, direct: Target, routed: Target, plan: Plan, result: Result) -> None:
    warm_up = max(plan.warm_up // 5, 2)
    for _ in range(warm_up):
        _first_token(client, direct)
        _first_token(client, routed)
    for _ in range(plan.streams):
        direct_ms = _first_token(client, direct)
        result.direct_ttft_ms.append(direct_ms)
        result.ttft_added_ms.append(_first_token(client, routed) - direct_ms)
    result.routed += warm_up + plan.streams


def _call(client: httpx.Client, target: Target) -> tuple[float, httpx.Response]:
    body = target.body()
    began = time.perf_counter()
    response = client.post(target.url, content=body, headers=JSON | target.headers)
    elapsed = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise BenchError(f'POST {target.url} answered {response.status_code}: {response.text[:500]}')
    content = response.json()['choices'][0]['message']['content']
    if content != ANSWER:
        raise BenchError(f"POST {target.url} answered {content!r}, not the upstream's {ANSWER!r}")
    return elapsed, response


def _first_token(client: httpx.Client, target: Target) -> float:
    """Milliseconds from sending a streamed request to its first content chunk; the stream is read to its end."""
    body = target.body(stream=True)
    began = time.perf_counter()
    first, pieces, done = None, [], False
    with client.stream('POST', target.url, content=body, headers=JSON | target.headers) as response:
        if response.status_code != 200:
            raise BenchError(f'streamed POST {target.url} answered {response.status_code}: {response.read()[:500]!r}')
        for line in response.iter_lines():
            if not line.startswith('data: '):
                continue
            if line == 'data: [DONE]':
                done = True
                continue
            choices = json.loads(line[6:]).get('choices') or [{}]
            content = (choices[0].get('delta') or {}).get('content')
            if content:
                first = first if first is not None else (time.perf_counter() - began) * 1000
                pieces.append(content)
    if first is None or ''.join(pieces) != ANSWER or not done:
        raise BenchError(f'the stream from {target.url} was {"".join(pieces)!r}, done: {done}')
    return first


def load(target: Target, seconds: float, clients: int = CLIENTS) -> http_load.Load:
    """`clients` keep-alive connections sending one request after another for `seconds` (bench/http_load.py)."""
    headers = JSON | target.headers
    work = http_load.run(target.url, target.body(), headers, seconds=seconds, clients=clients, expect=ANSWER.encode())
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method='inclusive')[94] if len(values) > 1 else _median(values)


def main() -> None:
    from bench.concurrency import fresh_url

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='300 pairs, 50 stream pairs, 5 s of load')
    parser.add_argument('--postgres', metavar='URL', help='a PostgreSQL server URL, without database name')
    parser.add_argument('--no-sqlite', action='store_true', help='measure PostgreSQL only')
    options = parser.parse_args()
    backends = ([] if options.no_sqlite else ['SQLite']) + (['PostgreSQL'] if options.postgres else [])
    rows = []
    for backend in backends:
        result = measure(fresh_url(backend, options.postgres, 'gateway'), QUICK if options.quick else FULL)
        print(f'{backend}: {result}', flush=True)
        rows += result.rows(backend)
    print()
    print(table(rows))
    sys.exit(3 if any(r.met is False for r in rows) else 0)


if __name__ == '__main__':
    main()
