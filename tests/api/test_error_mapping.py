"""A service's refusal (a DomainError) is answered by the one handler in api/errors.py: the status and code of
its kind, str(error) as the message, through real HTTP with real keys."""

import pytest
from nicegui import app
from sqlmodel import func, select

from services import db
from services.billing.payments import DEFAULT_GATEWAY, PaymentError
from services.errors import DomainError
from services.keys.api_keys import create_key
from services.models import Account, ApiKey

MODEL = 'openai/gpt-4o-mini'
CHAT = {'messages': [{'role': 'user', 'content': 'hello'}]}


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()['error']


def _headers(account_id: int, scopes: list[str], **settings) -> dict:
    with db.session_scope() as session:
        new = create_key(session, session.get(Account, account_id), name='k', scopes=scopes, **settings)
    return {'Authorization': f'Bearer {new.secret}'}


async def _top_up(api, headers: dict, amount: str, idempotency_key: str):
    return await api.post(
        '/api/v1/credits/top-ups', json={'amount': amount}, headers=headers | {'Idempotency-Key': idempotency_key}
    )


def _key_count() -> int:
    with db.read_scope() as session:
        return session.exec(select(func.count()).select_from(ApiKey)).one()


def test_one_handler_answers_every_domain_error(user):
    assert DomainError in app.exception_handlers  # installed by api/errors.py when app.py starts


async def test_not_found_invalid_and_forbidden_keep_their_answers(api, make_key, account_id):
    manage = make_key('manage')
    gone = await api.patch('/api/v1/keys/999999', json={'name': 'x'}, headers=manage)
    assert _error(gone, 404) == {'code': 'not_found', 'message': 'no key 999999 in this account'}

    cursor = await api.get('/api/v1/generations', params={'cursor': 'nonsense'}, headers=make_key('read'))
    assert _error(cursor, 422) == {'code': 'invalid', 'message': 'cursor: not a cursor returned by this API'}

    narrow = _headers(account_id, ['manage', 'ingest'])
    before = _key_count()
    wider = await api.post('/api/v1/keys', json={'name': 'wide', 'scopes': ['read']}, headers=narrow)
    error = _error(wider, 403)
    assert error['code'] == 'forbidden'
    assert error['message'].startswith('scopes: this key holds only ingest, manage, so it cannot grant read')
    assert _key_count() == before  # nothing was written


async def test_conflict_and_declined_payment_keep_their_codes(api, make_key, monkeypatch):
    manage = make_key('manage')
    first = await _top_up(api, manage, '20.00', 'a')
    assert first.status_code == 201, first.text
    other = await _top_up(api, manage, '30.00', 'a')
    assert _error(other, 409) == {
        'code': 'conflict',
        'message': 'idempotency_key: this key was already used for a different top-up',
    }

    def declined(**_kwargs):
        raise PaymentError('the card was declined')

    monkeypatch.setattr(DEFAULT_GATEWAY, 'charge', declined)
    refused = await _top_up(api, manage, '20.00', 'b')
    assert _error(refused, 402) == {'code': 'payment_declined', 'message': 'payment: the card was declined'}

    small = await _top_up(api, manage, '1.00', 'c')
    error = _error(small, 422)
    assert error['code'] == 'invalid' and error['message'].startswith('amount: a top-up is between')


async def test_ingest_refusals_keep_their_codes(api, account_id):
    limited = _headers(account_id, ['ingest'], spend_limit='0.10', allowed_models=[MODEL])
    generation = {'model': MODEL, 'prompt_tokens': 10, 'completion_tokens': 5}

    over = await api.post('/api/v1/generations', json=generation | {'cost': '0.20'}, headers=limited)
    error = _error(over, 402)
    assert error['code'] == 'spend_limit_reached' and error['message'].startswith('key "k"')

    other_model = await api.post('/api/v1/generations', json=generation | {'model': 'openai/gpt-4o'}, headers=limited)
    error = _error(other_model, 403)
    assert error == {'code': 'model_not_allowed', 'message': f'key "k" may only use {MODEL}'}

    in_batch = {'generations': [generation, generation | {'prompt_tokens': -1}]}
    bad = await api.post('/api/v1/generations/batch', json=in_batch, headers=limited)
    error = _error(bad, 422)
    assert error['code'] == 'invalid' and error['message'].startswith('generations.1.prompt_tokens: ')


@pytest.mark.parametrize(
    ('body', 'status', 'code', 'message'),
    [
        (
            {'model': 'nobody/none'} | CHAT,
            404,
            'unknown_model',
            "model: unknown model 'nobody/none'; see GET /api/v1/models",
        ),
        ({'model': MODEL} | CHAT, 402, 'balance', 'your credit balance is not positive: top up to run inference'),
    ],
)
async def test_inference_refusals_keep_their_codes(api, make_key, body, status, code, message):
    refused = await api.post('/api/v1/chat/completions', json=body, headers=make_key('inference'))
    assert _error(refused, status) == {'code': code, 'message': message}
