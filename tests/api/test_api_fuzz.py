"""Schemathesis drives a live app from its own OpenAPI document: no server error, every error in the shape,
every answer as documented.

The app is `python app.py` on loopback with a key holding every scope. Chat completions reach a small
upstream on loopback that stands in for every provider of the catalog, so inference really runs; the one
5xx accepted is the documented 503 `no_route`, when a routing policy the fuzzer itself saved leaves no
provider. Each operation gets a bounded number of valid and of invalid requests (LOWROUTER_FUZZ_EXAMPLES
each, default 40), so a run stays within a couple of minutes per database.
"""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.gateway_app import gateway_app

EXAMPLES = int(os.environ.get('LOWROUTER_FUZZ_EXAMPLES', '40'))
FUZZ_KEY_ID = 1_340_033_017  # far from the small ids the fuzzer tries, so it cannot revoke its own key


@pytest.fixture(scope='module')
def live_app(tmp_path_factory):
    folder = tmp_path_factory.mktemp('fuzz')
    with gateway_app(folder, account_name='Fuzz Co', credit='5000.00', key_name='fuzz', key_id=FUZZ_KEY_ID) as live:
        yield live.base, live.secret


@schemathesis.check
def no_server_error(ctx, response, case) -> None:
    if response.status_code >= 500 and not (response.status_code == 503 and _code(response) == 'no_route'):
        raise AssertionError(f'server error {response.status_code}: {response.text[:300]}')


@schemathesis.check
def error_shape(ctx, response, case) -> None:
    """Every error answer is {"error": {"code", "message"}}; a 500 also carries the id of its log line."""
    if response.status_code < 400:
        return
    try:
        error = response.json().get('error')
    except (ValueError, AttributeError):
        error = None
    if not (isinstance(error, dict) and isinstance(error.get('code'), str) and isinstance(error.get('message'), str)):
        raise AssertionError(f'{response.status_code} outside the error shape: {response.text[:300]}')
    if response.status_code == 500 and not re.fullmatch(r'[0-9a-f]{12}', str(error.get('id'))):
        raise AssertionError(f'a 500 without an error id: {response.text[:300]}')


def test_every_operation_answers_in_its_schema_without_server_errors(live_app):
    base, secret = live_app
    schema = schemathesis.openapi.from_url(f'{base}/api/openapi.json')
    operations = [result.ok() for result in schema.get_all_operations()]
    seen: Counter[str] = Counter()
    failures: dict[str, str] = {}
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategy = operation.as_strategy(generation_mode=mode, headers={'Authorization': f'Bearer {secret}'})

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def exercise(case) -> None:
                response = case.call(base_url=base, timeout=60)
                seen['examples'] += 1
                seen[f'{response.status_code // 100}xx'] += 1
                seen['503 no_route'] += response.status_code == 503 and _code(response) == 'no_route'
                try:
                    case.validate_response(response, checks=[no_server_error, error_shape, response_schema_conformance])
                except FailureGroup as group:
                    label = f'{case.operation.label} {group.exceptions[0].title}'
                    failures.setdefault(label, f'{group.exceptions[0].message[:500]}\n{case.as_curl_command()[:500]}')

            try:
                exercise()
            except Unsatisfiable:  # nothing of this operation can be made invalid (its only parameter is the key)
                assert mode == GenerationMode.NEGATIVE, operation.label
    print(f'\nschemathesis: {len(operations)} operations, {dict(seen)}')
    assert len(operations) >= 20 and seen['examples'] >= len(operations) * EXAMPLES
    assert not failures, '\n\n'.join(f'{label}\n{detail}' for label, detail in failures.items())
    assert seen['5xx'] == seen['503 no_route']


def _code(response) -> str | None:
    try:
        return response.json()['error']['code']
    except (ValueError, KeyError, TypeError):
        return None
