"""Every /api/v1 answer is typed: each route declares its answer's model (or the media type of a file or stream),
documents its error answers in the error shape, and real answers validate against the published OpenAPI schema.

The schema check reads the OpenAPI document the app serves, so it also covers the endpoints that write their JSON
themselves (recording generations, chat completions): their answers never pass through a model at run time.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jsonschema_rs
import orjson
import pytest
from fastapi.routing import APIRoute
from nicegui import app
from pydantic import BaseModel

from services.keys.api_keys import SCOPES
from tests.support.gateway_app import gateway_app

API = '/api/v1'
ERROR_REF = '#/components/schemas/ErrorOut'
EVERY_ROUTE_ANSWERS = ('401', '422', '500')
ROUTE_ERRORS = {  # the answers a route gives besides the ones every route documents
    ('post', '/api/v1/chat/completions'): {'402', '404', '429', '502', '503'},
    ('post', '/api/v1/generations'): {'402'},
    ('post', '/api/v1/generations/batch'): {'402'},
    ('get', '/api/v1/generations/{generation_id}'): {'404', '410'},
    ('post', '/api/v1/credits/top-ups'): {'402', '409'},
    ('get', '/api/v1/receipts/{receipt_id}/pdf'): {'404'},
    ('get', '/api/v1/invoices/{invoice_id}/pdf'): {'404'},
    ('get', '/api/v1/models/{model_id}'): {'404'},
    ('patch', '/api/v1/keys/{key_id}'): {'404'},
    ('post', '/api/v1/keys/{key_id}/rotate'): {'404'},
    ('post', '/api/v1/keys/{key_id}/revoke'): {'404'},
    ('get', '/api/v1/keys/{key_id}/routing'): {'404'},
    ('put', '/api/v1/keys/{key_id}/routing'): {'404'},
    ('delete', '/api/v1/keys/{key_id}/routing'): {'404'},
}
TYPED_HERE = {  # the modules whose every JSON answer the test below calls
    f'api.{name}'
    for name in ('account', 'billing', 'chat', 'eco', 'generations', 'ingest', 'keys', 'retention', 'routing')
}
GENERATION = {'model': 'openai/gpt-4o-mini', 'provider': 'openai', 'prompt_tokens': 120, 'completion_tokens': 40}


class Document:
    """The served OpenAPI document, with a validator per answer."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.checked: set[tuple[str, str, int]] = set()

    def operations(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {
            (method, path): operation
            for path, item in self.document['paths'].items()
            if path.startswith(API)
            for method, operation in item.items()
        }

    def json_answers(self) -> set[tuple[str, str, int]]:
        """Every documented success answer with a JSON body."""
        return {
            (method, path, int(status))
            for (method, path), operation in self.operations().items()
            for status, answer in operation['responses'].items()
            if status.startswith('2') and 'application/json' in answer.get('content', {})
        }

    def check(self, method: str, path: str, response: httpx.Response) -> Any:
        """The answer's JSON, after validating it against the schema documented for its status."""
        answer = self.document['paths'][path][method]['responses'][str(response.status_code)]
        schema = answer['content']['application/json']['schema']
        body = orjson.loads(response.content)
        validator = jsonschema_rs.Draft202012Validator(schema | {'components': self.document['components']})
        errors = [f'{"/".join(map(str, e.instance_path))}: {e.message}' for e in validator.iter_errors(body)]
        assert not errors, f'{method.upper()} {path} {response.status_code}: {errors[:5]}'
        self.checked.add((method, path, response.status_code))
        return body


async def test_every_api_route_declares_its_answer(api):
    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.path.startswith(API) and r.include_in_schema]
    assert len(routes) >= 30
    untyped = []
    for route in routes:
        media_types = set(route.responses.get(200, {}).get('content', {})) - {'application/json'}
        if route.status_code == 204:
            typed = route.response_model is None  # no body
        elif media_types:
            typed = bool(route.responses[200].get('description'))
        else:
            typed = _is_model(route.response_model)
        if not typed:
            untyped.append(f'{"/".join(sorted(route.methods))} {route.path}')
    assert not untyped, f'routes without a response model or a documented media type: {untyped}'


async def test_every_operation_documents_its_error_answers_in_the_error_shape(api):
    document = Document((await api.get('/api/openapi.json')).json())
    operations = document.operations()
    assert len(operations) >= 30
    problems = []
    for (method, path), operation in operations.items():
        answers = operation['responses']
        expected = {*EVERY_ROUTE_ANSWERS, *ROUTE_ERRORS.get((method, path), ())}
        if not expected <= set(answers):
            problems.append(f'{method.upper()} {path} lacks {sorted(expected - set(answers))}')
        for status, answer in answers.items():
            content = answer.get('content', {})
            if int(status) >= 400 and content.get('application/json', {}).get('schema') != {'$ref': ERROR_REF}:
                problems.append(f'{method.upper()} {path} {status} is not documented as ErrorOut')
            elif int(status) < 400 and not (answer.get('description') and (content or status == '204')):
                problems.append(f'{method.upper()} {path} {status} has no description or content')
            elif any(not c.get('schema') for c in content.values()):
                problems.append(f'{method.upper()} {path} {status} has a media type without a schema')
    assert not problems, '\n'.join(problems)


async def test_real_answers_validate_against_the_published_schema(api, make_key):
    """Calls every JSON endpoint (each success status it documents) with real keys and real records."""
    document = Document((await api.get('/api/openapi.json')).json())
    key = make_key(*SCOPES)
    inference_only = make_key('inference')
    check = document.check

    async def call(method: str, path: str, url: str | None = None, status: int = 200, **kwargs: Any) -> Any:
        response = await api.request(method, url or path, headers=key | kwargs.pop('headers', {}), **kwargs)
        assert response.status_code == status, (method, url or path, response.text[:300])
        return check(method.lower(), path, response)

    # money and billing
    top_up_url = '/api/v1/credits/top-ups'
    topped = await call('POST', top_up_url, status=201, json={'amount': '50.00'}, headers={'Idempotency-Key': 't'})
    again = await call('POST', top_up_url, status=200, json={'amount': '50.00'}, headers={'Idempotency-Key': 't'})
    assert again == topped
    await call('GET', '/api/v1/credits')
    await call('GET', '/api/v1/credits/methods')
    assert (await call('GET', '/api/v1/receipts'))['items']
    assert (await call('GET', '/api/v1/invoices'))['items']

    # recording generations (the hot path writes its own JSON), then reading them
    trace = {'strategy': 'cheapest', 'attempts': [{'provider': 'openai', 'outcome': 'ok'}]}
    one = GENERATION | {'external_id': 'one', 'routing_trace': trace}
    stored = await call('POST', '/api/v1/generations', status=201, json=one)
    assert await call('POST', '/api/v1/generations', status=200, json=one) == stored
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace('+00:00', 'Z')
    batch = {'generations': [GENERATION | {'external_id': f'b{i}', 'created_at': an_hour_ago} for i in '12']}
    batch['generations'][1] |= {'model': 'openai/gpt-4o', 'latency_ms': 900, 'cost': '0.25', 'status': 'failed'}
    assert (await call('POST', '/api/v1/generations/batch', status=201, json=batch))['created'] == 2
    assert (await call('POST', '/api/v1/generations/batch', status=200, json=batch))['created'] == 0
    listed = await call('GET', '/api/v1/generations', params={'limit': 2})
    assert listed['next_cursor'] and len(listed['items']) == 2
    path = '/api/v1/generations/{generation_id}'
    assert await call('GET', path, f'/api/v1/generations/{stored["id"]}') == stored
    for group_by in ('model', 'provider', 'region', 'key', 'status', 'day'):
        await call('GET', '/api/v1/usage', params={'group_by': group_by})
    await call('GET', '/api/v1/usage', params={'group_by': 'status', 'status': 'failed', 'provider': 'openai'})

    # keys and routing
    created = await call(
        'POST', '/api/v1/keys', status=201, json={'name': 'ci', 'scopes': ['read'], 'spend_limit': '5'}
    )
    key_url = f'/api/v1/keys/{created["id"]}'
    await call('PATCH', '/api/v1/keys/{key_id}', key_url, json={'allowed_models': ['openai/gpt-4o-mini']})
    await call('POST', '/api/v1/keys/{key_id}/rotate', f'{key_url}/rotate', json={'grace': '1h'})
    await call('GET', '/api/v1/keys')
    await call('GET', '/api/v1/routing')
    await call('PUT', '/api/v1/routing', json={'strategy': 'lowest_carbon', 'max_price_per_mtok': '12.5'})
    assert (await call('PUT', '/api/v1/routing', json={'allow_fallbacks': None}))['allow_fallbacks'] is None
    routing_path, routing_url = '/api/v1/keys/{key_id}/routing', f'{key_url}/routing'
    assert (await call('GET', routing_path, routing_url))['override'] == {}
    override = {'strategy': 'prefer_region', 'prefer_region': 'eu-west-1', 'blocked_providers': ['openai']}
    answer = await call('PUT', routing_path, routing_url, json=override)
    assert set(answer['override']) == set(override) and answer['sources']['strategy'] == 'key'
    await call('POST', '/api/v1/keys/{key_id}/revoke', f'{key_url}/revoke')

    # settings, eco and the catalog (read with a read key and with an inference-only key)
    await call('GET', '/api/v1/retention')
    await call('PUT', '/api/v1/retention', json={'retention_days': 90})
    await call('PUT', '/api/v1/retention', json={'retention_days': None})
    await call('GET', '/api/v1/eco', params={'days': 7})
    await call('GET', '/api/v1/eco', params={'days': 7, 'model': 'openai/gpt-4o', 'baseline': 'openai/gpt-4o-mini'})
    models = await call('GET', '/api/v1/models')
    check('get', '/api/v1/models', await api.get('/api/v1/models', headers=inference_only))
    for model in (models['data'][0]['id'], models['data'][1]['id']):
        await call('GET', '/api/v1/models/{model_id}', f'/api/v1/models/{model}')

    # every other read without parameters in its path (endpoints added later are checked here too)
    for method, path, status in sorted(document.json_answers() - document.checked):
        if method == 'get' and status == 200 and '{' not in path:
            await call('GET', path)

    routes = [r for r in app.routes if isinstance(r, APIRoute) and r.endpoint.__module__ in TYPED_HERE]
    owned = {(method.lower(), re.sub(r':\w+}', '}', route.path)) for route in routes for method in route.methods}
    unchecked = {a for a in document.json_answers() - document.checked if a[:2] in owned}
    assert not unchecked - {('post', '/api/v1/chat/completions', 200)}, f'not checked here: {sorted(unchecked)}'


@pytest.fixture(scope='module')
def gateway(tmp_path_factory):
    """`python app.py` with a key that can do everything, and an upstream on loopback for every provider."""
    with (
        gateway_app(tmp_path_factory.mktemp('typed'), account_name='Typed Co', key_name='typed') as live,
        httpx.Client(base_url=live.base, headers=live.headers, timeout=30) as client,
    ):
        yield client


def test_chat_completions_answer_as_documented(gateway):
    """The completion is passed on as the upstream wrote it: its JSON, and each event of a stream, fit the model."""
    document = Document(gateway.get('/api/openapi.json').json())
    path = '/api/v1/chat/completions'
    body = {'model': 'lowrouter/auto', 'messages': [{'role': 'user', 'content': 'Say hello.'}]}
    answer = document.check('post', path, gateway.post(path, json=body))
    assert answer['model'] != 'lowrouter/auto' and answer['choices']
    documented = document.document['paths'][path]['post']['responses']['200']['content']
    assert 'text/event-stream' in documented
    with gateway.stream('POST', path, json=body | {'stream': True, 'stream_options': {'include_usage': True}}) as sse:
        assert sse.status_code == 200 and sse.headers['content-type'].startswith('text/event-stream')
        events = [line.removeprefix('data: ') for line in sse.iter_lines() if line.startswith('data: ')]
    assert events[-1] == '[DONE]' and len(events) > 2
    for event in events[:-1]:
        assert orjson.loads(event)['object'] == 'chat.completion.chunk'
    refused = document.check('post', path, gateway.post(path, json=body | {'model': 'acme/unknown'}))
    assert refused['error']['code'] == 'unknown_model'


def _is_model(model: Any) -> bool:
    members = getattr(model, '__args__', None) or (model,)
    return all(isinstance(m, type) and issubclass(m, BaseModel) for m in members)
