"""The router end to end: `python app.py` on loopback, a real OpenAI-compatible upstream on loopback, and the
official openai client pointed at lowrouter."""

import time

import httpx
import openai
import pytest
from sqlmodel import select

from services import db
from services.account.accounts import current_account
from services.catalog import get_catalog
from services.models import LedgerEntry
from services.money import offer_cost_micros
from services.routing import hot_cache
from tests.browser.conftest import screenshot
from tests.support.gateway_app import gateway_app
from tests.support.records import stored_generation as _generation

MODEL = 'meta-llama/llama-3.1-8b-instruct'
MESSAGES = [{'role': 'user', 'content': 'Say hello. SECRET-PROMPT-TEXT'}]


def _two_cheapest_providers():
    offers = sorted(
        get_catalog().offers_for(MODEL),
        key=lambda o: (o.input_usd_per_mtok * 14 + o.output_usd_per_mtok * 4, o.provider),
    )
    first = offers[0]
    second = next(o for o in offers if o.provider != first.provider)
    return first, second


@pytest.fixture(scope='module')
def router(tmp_path_factory):
    folder = tmp_path_factory.mktemp('router')
    first, second = _two_cheapest_providers()
    providers = (first.provider, second.provider)
    with gateway_app(folder, account_name='Router Co', scopes=['inference', 'read'], providers=providers) as live:
        client = openai.OpenAI(base_url=f'{live.base}/api/v1', api_key=live.secret, max_retries=0)
        yield {
            'client': client,
            'upstream': live.upstream,
            'first': first,
            'second': second,
            'base': live.base,
            'secret': live.secret,
        }


def test_a_completion_is_routed_recorded_and_shown(router):
    router['upstream'].failures.clear()
    raw = router['client'].chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    completion = raw.parse()
    first = router['first']
    assert completion.choices[0].message.content == f'Hello from {first.provider}!'
    assert completion.model == MODEL
    generation = _generation(raw.headers['x-lowrouter-generation-id'])
    assert (generation.provider, generation.region, generation.status) == (first.provider, first.region, 'completed')
    assert (generation.prompt_tokens, generation.completion_tokens) == (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
    )
    assert generation.cost_micros == offer_cost_micros(
        get_catalog(), first, generation.prompt_tokens, generation.completion_tokens, 'USD'
    )
    reasons = {c['provider']: c['excluded'] for c in generation.routing_trace['candidates']}
    assert reasons[first.provider] is None and reasons[router['second'].provider] is None
    assert {r for p, r in reasons.items() if p not in (first.provider, router['second'].provider)} <= {'not_configured'}
    assert 'SECRET-PROMPT-TEXT' not in repr(generation.model_dump())
    page = httpx.get(f'{router["base"]}/dashboard').text
    assert generation.id in page
    detail = httpx.get(f'{router["base"]}/transactions/{generation.id}')
    assert detail.status_code == 200 and 'Routing trace' in detail.text


def test_streaming_passes_chunks_through_and_records_usage(router):
    router['upstream'].failures.clear()
    stream = router['client'].chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    pieces = [chunk.choices[0].delta.content or '' for chunk in stream]  # the standard loop: no usage-only chunk
    assert ''.join(pieces) == f'Hello from {router["first"].provider}!'
    assert router['upstream'].requests[-1]['body']['stream_options'] == {'include_usage': True}  # asked anyway
    newest = _generation(stream.response.headers['x-lowrouter-generation-id'])  # recorded when the stream ends
    assert newest.status == 'completed'
    assert (newest.prompt_tokens, newest.completion_tokens) == (7, 4)  # what the upstream's usage chunk said
    assert 0 < newest.ttft_ms <= newest.latency_ms


def test_a_stream_ends_with_usage_when_the_client_asks(router):
    router['upstream'].failures.clear()
    stream = router['client'].chat.completions.create(
        model=MODEL, messages=MESSAGES, stream=True, stream_options={'include_usage': True}
    )
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert ''.join(c.choices[0].delta.content or '' for c in chunks[:-1]) == f'Hello from {router["first"].provider}!'


def test_a_failing_first_upstream_falls_back_and_the_trace_says_so(router):
    first, second = router['first'], router['second']
    router['upstream'].failures.clear()
    router['upstream'].failures[first.provider] = 503
    raw = router['client'].chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert raw.parse().choices[0].message.content == f'Hello from {second.provider}!'
    generation = _generation(raw.headers['x-lowrouter-generation-id'])
    attempts = generation.routing_trace['attempts']
    assert [(a['provider'], a['outcome']) for a in attempts] == [
        (first.provider, 'upstream_error: 503'),
        (second.provider, 'ok'),
    ]
    assert generation.routing_trace['reason'].startswith(f'fallback after {first.provider}')
    assert generation.provider == second.provider
    router['fallback_id'] = generation.id


def test_the_fallback_trace_is_drawn_on_the_detail_page(router, desktop, mobile):
    for page, name in ((desktop, 'transaction-fallback-desktop'), (mobile, 'transaction-fallback-mobile')):
        page.goto(f'{router["base"]}/transactions/{router["fallback_id"]}')
        page.get_by_text('Attempts').wait_for()
        assert page.get_by_text('upstream_error: 503').first.is_visible()
        screenshot(page, name)


def test_client_errors_pass_through_without_fallback(router):
    first = router['first']
    router['upstream'].failures.clear()
    router['upstream'].failures[first.provider] = 400
    calls = len(router['upstream'].requests)
    with pytest.raises(openai.BadRequestError):
        router['client'].chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(router['upstream'].requests) == calls + 1


def test_every_upstream_failing_is_a_502_recorded_as_failed(router):
    router['upstream'].failures.update({router['first'].provider: 500, router['second'].provider: 502})
    with pytest.raises(openai.APIStatusError) as error:
        router['client'].chat.completions.create(model=MODEL, messages=MESSAGES)
    assert error.value.status_code == 502
    generation = _generation(error.value.response.headers['x-lowrouter-generation-id'])
    assert generation.status == 'failed' and generation.cost_micros == 0
    router['upstream'].failures.clear()


def test_no_positive_balance_is_402(router):
    with db.session_scope() as session:
        account = current_account(session)
        session.add(
            LedgerEntry(
                account_id=account.id,
                kind='adjustment',
                amount_micros=-(10**9),
                currency='USD',
                idempotency_key='drain',
            )
        )
    try:
        time.sleep(hot_cache.TTL_S)  # written by another process: the server sees it within a second
        with pytest.raises(openai.APIStatusError) as error:
            router['client'].chat.completions.create(model=MODEL, messages=MESSAGES)
        assert error.value.status_code == 402
    finally:
        with db.session_scope() as session:
            session.delete(session.exec(select(LedgerEntry).where(LedgerEntry.idempotency_key == 'drain')).one())
