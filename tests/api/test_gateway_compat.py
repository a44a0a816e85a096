"""lowrouter as a drop-in gateway: the official openai client (sync and async, plain and streamed) against
`python app.py` on loopback, routing to a real OpenAI-compatible upstream on loopback."""

import asyncio
import time

import httpx
import openai
import pytest

from services import db
from services.catalog import get_catalog
from services.models import Account
from services.routing import hot_cache
from services.routing.policies import set_account_settings
from tests.support.gateway_app import gateway_app
from tests.support.records import stored_generation as _generation

MODEL = 'meta-llama/llama-3.1-8b-instruct'
MESSAGES = [{'role': 'user', 'content': 'What is the weather in Paris?'}]
TOOLS = [
    {
        'type': 'function',
        'function': {
            'name': 'get_weather',
            'description': 'The weather in a city',
            'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}, 'required': ['city']},
        },
    }
]


def _ranked_providers() -> list[str]:
    def cost(offer):  # of the fake upstream's answer: 7 prompt and 4 completion tokens
        return offer.input_usd_per_mtok * 7 + offer.output_usd_per_mtok * 4, offer.provider

    offers = sorted(get_catalog().offers_for(MODEL), key=cost)
    return list(dict.fromkeys(o.provider for o in offers))


@pytest.fixture(scope='module')
def gateway(tmp_path_factory):
    folder = tmp_path_factory.mktemp('gateway')
    first, second = _ranked_providers()[:2]
    with gateway_app(
        folder, account_name='Gateway Co', scopes=['inference', 'read'], providers=(first, second)
    ) as live:
        yield {
            'base': live.base,
            'secret': live.secret,
            'upstream': live.upstream,
            'first': first,
            'second': second,
            'account_id': live.account_id,
            'client': openai.OpenAI(base_url=f'{live.base}/api/v1', api_key=live.secret, max_retries=0),
        }


@pytest.fixture
def upstream(gateway):
    gateway['upstream'].failures.clear()
    gateway['upstream'].retry_after.clear()
    gateway['upstream'].slow.clear()
    gateway['upstream'].garbled.clear()
    yield gateway['upstream']
    gateway['upstream'].failures.clear()
    gateway['upstream'].retry_after.clear()


def _read(gateway, generation_id: str) -> dict:
    """The generation through the API right after its answer (waits for nothing: the server must have it)."""
    answer = httpx.get(
        f'{gateway["base"]}/api/v1/generations/{generation_id}',
        headers={'Authorization': f'Bearer {gateway["secret"]}'},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _set_policy(gateway, **settings) -> None:
    with db.session_scope() as session:
        set_account_settings(session, session.get(Account, gateway['account_id']), settings)
    time.sleep(hot_cache.TTL_S)  # changed by another process: the server sees it within a second


def test_tools_json_mode_n_seed_stop_logprobs_and_extra_fields_pass_through(gateway, upstream):
    raw = gateway['client'].chat.completions.with_raw_response.create(
        model=MODEL,
        messages=MESSAGES,
        tools=TOOLS,
        tool_choice='auto',
        n=2,
        seed=7,
        stop=['\n\n'],
        logprobs=True,
        top_logprobs=2,
        temperature=0.2,
        user='operator-42',
        extra_body={'vendor_option': {'depth': 3}},
    )
    sent = upstream.requests[-1]['body']
    expected = {
        'messages': MESSAGES,
        'tools': TOOLS,
        'tool_choice': 'auto',
        'n': 2,
        'seed': 7,
        'stop': ['\n\n'],
        'logprobs': True,
        'top_logprobs': 2,
        'temperature': 0.2,
        'user': 'operator-42',
        'vendor_option': {'depth': 3},
    }
    assert {k: v for k, v in sent.items() if k != 'model'} == expected  # unchanged, unknown fields included
    assert sent['model'] == MODEL.split('/', 1)[1]  # the provider's own name for the model
    completion = raw.parse()
    assert [c.index for c in completion.choices] == [0, 1]
    call = completion.choices[0].message.tool_calls[0]
    assert (call.function.name, call.function.arguments) == ('get_weather', '{"city": "Paris"}')
    assert completion.choices[0].finish_reason == 'tool_calls'
    assert completion.choices[1].logprobs.content[0].logprob == -0.25
    assert float(raw.headers['x-lowrouter-overhead-ms']) >= 0


def test_json_mode_answers_json(gateway, upstream):
    completion = gateway['client'].chat.completions.create(
        model=MODEL, messages=MESSAGES, response_format={'type': 'json_object'}
    )
    assert upstream.requests[-1]['body']['response_format'] == {'type': 'json_object'}
    assert completion.choices[0].message.content == f'{{"greeting": "Hello from {gateway["first"]}!"}}'


def test_the_async_client_plain_and_streamed_with_the_standard_loop(gateway, upstream):
    async def run():
        client = openai.AsyncOpenAI(base_url=f'{gateway["base"]}/api/v1', api_key=gateway['secret'], max_retries=0)
        plain = await client.chat.completions.create(model=MODEL, messages=MESSAGES)
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        text = ''
        async for chunk in stream:
            text += chunk.choices[0].delta.content or ''  # raises on a usage-only chunk (empty choices)
        await client.close()
        return plain, text, stream.response.headers['x-lowrouter-generation-id']

    plain, text, generation_id = asyncio.run(run())
    assert plain.choices[0].message.content == text == f'Hello from {gateway["first"]}!'
    assert plain.usage.total_tokens == 11
    stored = _read(gateway, generation_id)
    assert (stored['status'], stored['completion_tokens']) == ('completed', 4)


def test_a_client_that_leaves_mid_stream_leaves_a_cancelled_record(gateway, upstream):
    upstream.slow.add(gateway['first'])
    closed_before = upstream.streams_closed_early
    stream = gateway['client'].chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    received = []
    for chunk in stream:
        received.append(chunk.choices[0].delta.content)
        if len(received) == 5:
            break
    stream.close()
    generation_id = stream.response.headers['x-lowrouter-generation-id']
    assert _generation(generation_id, wait=10) is not None
    stored = _read(gateway, generation_id)
    assert stored['status'] == 'cancelled'
    assert 5 <= stored['completion_tokens'] < 200  # what was streamed until the client left: counted, not usage
    generation = _generation(generation_id)
    assert generation.routing_trace['tokens_estimated'] is True
    assert generation.routing_trace['attempts'][-1]['outcome'] == 'cancelled'
    assert generation.cost_micros > 0  # the provider produced those tokens: they are charged
    deadline = time.monotonic() + 5
    while upstream.streams_closed_early == closed_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.streams_closed_early == closed_before + 1  # the upstream request was closed too


def test_a_429_falls_back_honours_retry_after_and_the_provider_is_tried_again_after_it(gateway, upstream):
    first, second = gateway['first'], gateway['second']
    upstream.failures[first] = 429
    upstream.retry_after[first] = '2'
    raw = gateway['client'].chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.parse().choices[0].message.content == f'Hello from {second}!'
    trace = _generation(raw.headers['x-lowrouter-generation-id']).routing_trace
    assert trace['attempts'][0] | {'ms': 0} == {
        'provider': first,
        'region': trace['attempts'][0]['region'],
        'model': MODEL,
        'outcome': 'rate_limited: 429',
        'retry_after_s': 2.0,
        'ms': 0,
    }
    calls = sum(r['provider'] == first for r in upstream.requests)
    raw = gateway['client'].chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    trace = _generation(raw.headers['x-lowrouter-generation-id']).routing_trace
    assert sum(r['provider'] == first for r in upstream.requests) == calls  # not called while cooling off
    cooled = [c for c in trace['candidates'] if c['provider'] == first]
    assert {c['excluded'] for c in cooled} == {'cooling_off'} and all(c['cooling_off_until'] for c in cooled)
    assert [a['provider'] for a in trace['attempts']] == [second]
    upstream.failures.clear()
    time.sleep(2.1)
    raw = gateway['client'].chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.parse().choices[0].message.content == f'Hello from {first}!'  # tried again after the wait


def test_without_fallbacks_a_429_reaches_the_client_with_retry_after(gateway, upstream):
    _set_policy(gateway, allow_fallbacks=False)
    try:
        upstream.failures[gateway['first']] = 429
        upstream.retry_after[gateway['first']] = '1'
        with pytest.raises(openai.RateLimitError) as error:
            gateway['client'].chat.completions.create(model=MODEL, messages=MESSAGES)
        answer = error.value.response
        assert answer.headers['retry-after'] == '1'
        assert answer.json()['error']['code'] == 'rate_limited'
        generation = _generation(answer.headers['x-lowrouter-generation-id'])
        assert (generation.status, generation.cost_micros) == ('failed', 0)
        picked = [c for c in generation.routing_trace['candidates'] if c['provider'] == gateway['first']]
        assert 'failed' in {c['status'] for c in picked} and 'picked' not in {c['status'] for c in picked}
    finally:
        _set_policy(gateway)
        time.sleep(1.1)  # the Retry-After of the first provider has passed


def test_an_upstream_that_keeps_failing_cools_off_and_the_trace_says_why(gateway, upstream):
    first, second = gateway['first'], gateway['second']
    upstream.failures[first] = 503
    for _ in range(3):  # three failures in a row trip it
        gateway['client'].chat.completions.create(model=MODEL, messages=MESSAGES)
    calls = sum(r['provider'] == first for r in upstream.requests)
    raw = gateway['client'].chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.parse().choices[0].message.content == f'Hello from {second}!'
    assert sum(r['provider'] == first for r in upstream.requests) == calls
    trace = _generation(raw.headers['x-lowrouter-generation-id']).routing_trace
    assert {c['excluded'] for c in trace['candidates'] if c['provider'] == first} == {'cooling_off'}


def test_a_success_status_with_a_body_that_is_no_completion_falls_back(gateway, upstream):
    upstream.garbled.add(gateway['second'])  # the first is cooling off after the test above
    upstream.garbled.add(gateway['first'])
    with pytest.raises(openai.APIStatusError) as error:
        gateway['client'].chat.completions.create(model=MODEL, messages=MESSAGES)
    assert error.value.status_code == 502 and error.value.response.json()['error']['code'] == 'upstream_failed'
    generation = _generation(error.value.response.headers['x-lowrouter-generation-id'])
    assert [a['outcome'] for a in generation.routing_trace['attempts']][-1] == 'bad_response'
    assert generation.status == 'failed'


def test_no_configured_provider_is_a_503_no_route_that_says_how_to_add_one(gateway, upstream):
    unserved = next(
        m for m in get_catalog().models if not {o.provider for o in get_catalog().offers_for(m)} & {gateway['first']}
        and not {o.provider for o in get_catalog().offers_for(m)} & {gateway['second']}
    )  # fmt: skip
    with pytest.raises(openai.APIStatusError) as error:
        gateway['client'].chat.completions.create(model=unserved, messages=MESSAGES)
    assert error.value.status_code == 503
    body = error.value.response.json()['error']
    assert body['code'] == 'no_route'
    configured = ', '.join(sorted((gateway['first'], gateway['second'])))
    assert f'Configured providers: {configured}.' in body['message']
    assert 'upstreams.toml' in body['message'] and '[providers.<name>]' in body['message']


def test_every_api_answer_says_the_time_spent_in_lowrouter(gateway, upstream):
    refused = httpx.post(f'{gateway["base"]}/api/v1/chat/completions', json={'model': MODEL, 'messages': MESSAGES})
    listed = httpx.get(f'{gateway["base"]}/api/v1/models', headers={'Authorization': f'Bearer {gateway["secret"]}'})
    invalid = httpx.post(
        f'{gateway["base"]}/api/v1/chat/completions',
        json={'model': MODEL, 'messages': []},
        headers={'Authorization': f'Bearer {gateway["secret"]}'},
    )
    assert [refused.status_code, listed.status_code, invalid.status_code] == [401, 200, 422]
    for answer in (refused, listed, invalid):
        assert (
            answer.headers.get_list('x-lowrouter-overhead-ms') and float(answer.headers['x-lowrouter-overhead-ms']) >= 0
        )
        assert len(answer.headers.get_list('x-lowrouter-overhead-ms')) == 1
