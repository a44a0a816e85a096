"""The ingestion endpoints write their answers themselves (orjson, in the ingestion thread): whatever JSON a
caller may send in a routing trace comes back as it was stored."""

import json

from sqlmodel import select

from services import db
from services.models import Generation
from tests.support import factories

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 100, 'completion_tokens': 50}
ODD_VALUES = [2**64, -(2**70), 10**30, 1e308, -0.0, 'ünïcødé \u2028 "quoted" \\ </script>', [], {}, None, True]


async def test_any_json_value_in_a_trace_is_answered_as_stored(api, account_id):
    headers = factories.bearer(factories.api_key(account_id, scopes=['ingest']))
    for count, value in enumerate(ODD_VALUES, start=1):
        await _answered_as_stored(api, headers, value, stored=3 * count)


async def _answered_as_stored(api, headers: dict, value, *, stored: int) -> None:
    body = GEN | {'routing_trace': {'value': value, 'list': [value]}}
    answer = await api.post('/api/v1/generations', json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    assert answer.json()['routing_trace'] == {'value': value, 'list': [value]}
    batch = await api.post('/api/v1/generations/batch', json={'generations': [body, GEN]}, headers=headers)
    assert batch.status_code == 201, batch.text
    assert batch.json()['items'][0]['routing_trace'] == body['routing_trace']
    assert answer.headers['content-type'] == 'application/json'
    with db.read_scope() as session:
        record = session.get(Generation, answer.json()['id'])
        assert json.loads(json.dumps(record.routing_trace)) == body['routing_trace']
        assert len(session.exec(select(Generation.id)).all()) == stored
