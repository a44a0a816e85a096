"""A retry of a recorded generation (same Idempotency-Key or external_id) is answered with the first record,
whatever would refuse a new one now. Ingestion inserts first and looks for an earlier try only when something
stops the insert, so these cases are where that look-up must happen."""

from datetime import timedelta

from sqlmodel import func, select

from services import db
from services.billing.invoices import ensure_invoices, month_bounds
from services.keys.api_keys import update_key
from services.models import Account, Generation, KeySpend, utcnow
from services.timeutil import local
from services.usage.ingest import record_generation
from tests.support import factories

GEN = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 100, 'completion_tokens': 50}


def _stored() -> tuple[int, int]:
    """Generations and key spend in micros."""
    with db.session_scope() as session:
        return (
            session.exec(select(func.count()).select_from(Generation)).one(),
            session.exec(select(func.coalesce(func.sum(KeySpend.cost_micros), 0))).one(),
        )


async def test_a_retry_after_the_spend_limit_is_used_up_gets_the_first_record(api, account_id):
    key = factories.api_key(account_id, scopes=['ingest'], spend_limit='0.10')
    headers = factories.bearer(key)
    first = await api.post('/api/v1/generations', json=GEN | {'cost': '0.10', 'external_id': 'r-1'}, headers=headers)
    keyed = headers | {'Idempotency-Key': 'k-1'}
    assert first.status_code == 201, first.text
    before = _stored()
    assert before == (1, 100_000)
    again = await api.post('/api/v1/generations', json=GEN | {'cost': '0.10', 'external_id': 'r-1'}, headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    new = await api.post('/api/v1/generations', json=GEN | {'cost': '0.01', 'external_id': 'r-2'}, headers=keyed)
    assert new.status_code == 402 and new.json()['error']['code'] == 'spend_limit_reached'
    assert _stored() == before


async def test_a_retry_by_idempotency_key_after_the_model_is_no_longer_allowed_gets_the_first_record(api, account_id):
    key = factories.api_key(account_id, scopes=['ingest'])
    headers = factories.bearer(key) | {'Idempotency-Key': 'once'}
    first = await api.post('/api/v1/generations', json=GEN, headers=headers)
    assert first.status_code == 201, first.text
    with db.session_scope() as session:
        update_key(session, session.get(Account, account_id), key.key.id, allowed_models=['openai/gpt-4o'])
    again = await api.post('/api/v1/generations', json=GEN, headers=headers)
    assert again.status_code == 200 and again.json()['id'] == first.json()['id']
    other = await api.post('/api/v1/generations', json=GEN, headers=headers | {'Idempotency-Key': 'twice'})
    assert other.status_code == 403 and other.json()['error']['code'] == 'model_not_allowed'
    assert _stored()[0] == 1


async def test_a_retry_into_a_month_invoiced_since_gets_the_first_record(api, account_id):
    headers = factories.bearer(factories.api_key(account_id, scopes=['ingest']))
    with db.session_scope() as session:
        zone = session.get(Account, account_id).timezone
    last_month = (month_bounds(zone, *(lambda d: (d.year, d.month))(local(utcnow(), zone)))[0]) - timedelta(days=9)
    body = GEN | {'created_at': last_month.isoformat(), 'external_id': 'late-1'}
    first = await api.post('/api/v1/generations', json=body, headers=headers)
    assert first.status_code == 201, first.text
    with db.session_scope() as session:
        assert ensure_invoices(session, session.get(Account, account_id)) >= 1
    again = await api.post('/api/v1/generations', json=body, headers=headers)
    assert again.status_code == 200 and again.json()['id'] == first.json()['id']
    fresh = await api.post('/api/v1/generations', json=body | {'external_id': 'late-2'}, headers=headers)
    assert fresh.status_code == 422 and 'already invoiced' in fresh.json()['error']['message']
    assert _stored()[0] == 1


async def test_only_the_same_account_with_a_valid_key_hears_of_an_earlier_record(api, account_id):
    headers = factories.bearer(factories.api_key(account_id, scopes=['ingest'])) | {'Idempotency-Key': 'shared'}
    first = await api.post('/api/v1/generations', json=GEN | {'external_id': 'x-1'}, headers=headers)
    assert first.status_code == 201
    with db.session_scope() as session:
        elsewhere = factories.account(session=session, name='Other')
        other = factories.bearer(factories.api_key(elsewhere, session=session, scopes=['ingest']))
        record_generation(session, elsewhere, GEN)  # the other account has history of its own
    theirs = await api.post(
        '/api/v1/generations', json=GEN | {'external_id': 'x-1'}, headers=other | {'Idempotency-Key': 'shared'}
    )
    assert theirs.status_code == 201 and theirs.json()['id'] != first.json()['id']
    wrong = {'Authorization': 'Bearer lr-not-a-key', 'Idempotency-Key': 'shared'}
    refused = await api.post('/api/v1/generations', json=GEN | {'external_id': 'x-1'}, headers=wrong)
    assert refused.status_code == 401 and 'id' not in refused.json()
    read_only = factories.bearer(factories.api_key(account_id, scopes=['read'])) | {'Idempotency-Key': 'shared'}
    refused = await api.post('/api/v1/generations', json=GEN | {'external_id': 'x-1'}, headers=read_only)
    assert refused.status_code == 403 and 'id' not in refused.json()
    assert _stored()[0] == 3
