from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, inspect
from sqlmodel import select

from services.catalog import get_catalog
from services.models import Generation, UsageHour
from services.usage.ingest import IngestError, record_generation
from services.usage.rollups import SUMS, rebuild_rollups


def _count(session, table):
    return session.exec(select(func.count()).select_from(table)).one()


def test_cost_is_tokens_times_price_exactly(session, account):
    catalog = get_catalog()
    offer = catalog.offers[0]
    generation, created = record_generation(
        session,
        account,
        {
            'model': offer.model,
            'provider': offer.provider,
            'region': offer.region,
            'prompt_tokens': 812,
            'completion_tokens': 240,
        },
    )
    session.commit()
    expected_micro_usd = 812 * offer.input_usd_per_mtok + 240 * offer.output_usd_per_mtok
    assert created
    assert Decimal(generation.cost_micros) == expected_micro_usd.quantize(Decimal(1))
    assert generation.total_tokens == 1052
    assert generation.id.startswith('gen-')


def test_cost_converts_to_the_account_currency(session, account):
    catalog = get_catalog()
    account.currency = 'EUR'
    offer = catalog.offers[0]
    generation, _ = record_generation(
        session,
        account,
        {
            'model': offer.model,
            'provider': offer.provider,
            'region': offer.region,
            'prompt_tokens': 10_000,
            'completion_tokens': 5_000,
        },
    )
    usd = 10_000 * offer.input_usd_per_mtok + 5_000 * offer.output_usd_per_mtok
    assert generation.currency == 'EUR'
    assert generation.cost_micros == int((usd * catalog.fx['EUR'].per_usd).quantize(Decimal(1)))


def test_a_given_cost_is_kept_as_given(session, account):
    model = next(iter(get_catalog().models))
    generation, _ = record_generation(
        session, account, {'model': model, 'prompt_tokens': 1, 'completion_tokens': 1, 'cost': '0.000266'}
    )
    assert generation.cost_micros == 266


def test_rollup_equals_the_sum_of_its_generations(session, account):
    catalog = get_catalog()
    offers = catalog.offers[:3]
    for i in range(30):
        offer = offers[i % 3]
        record_generation(
            session,
            account,
            {
                'model': offer.model,
                'provider': offer.provider,
                'region': offer.region,
                'prompt_tokens': 100 + i,
                'completion_tokens': 50 + 7 * i,
                'created_at': datetime(2026, 11, 24, 10 + i % 2, i, tzinfo=UTC),
            },
        )
    session.commit()
    buckets = session.exec(select(UsageHour)).all()
    generations = session.exec(select(Generation)).all()
    assert len(buckets) == 6
    for bucket in buckets:
        members = [
            g
            for g in generations
            if (g.model, g.provider, g.region, g.created_at.hour)
            == (bucket.model, bucket.provider, bucket.region, bucket.hour.hour)
        ]
        assert bucket.requests == len(members)
        assert bucket.prompt_tokens == sum(g.prompt_tokens for g in members)
        assert bucket.completion_tokens == sum(g.completion_tokens for g in members)
        assert bucket.cost_micros == sum(g.cost_micros for g in members)
        assert bucket.carbon_g == pytest.approx(sum(g.carbon_g for g in members))
        assert bucket.energy_wh_high == pytest.approx(sum(g.energy_wh_high for g in members))


def test_rebuilding_rollups_reproduces_the_incremental_ones(session, account):
    catalog = get_catalog()
    for i, offer in enumerate(catalog.offers[:12]):
        record_generation(
            session,
            account,
            {
                'model': offer.model,
                'provider': offer.provider,
                'region': offer.region,
                'prompt_tokens': i + 1,
                'completion_tokens': 3 * i + 1,
            },
        )
    session.commit()
    before = _rollup_snapshot(session)
    rebuild_rollups(session, account.id)
    session.commit()
    assert _rollup_snapshot(session) == before


def test_content_is_never_stored(session, account):
    model = next(iter(get_catalog().models))
    generation, _ = record_generation(
        session,
        account,
        {
            'model': model,
            'prompt_tokens': 5,
            'completion_tokens': 5,
            'prompt': 'SECRET-PROMPT',
            'messages': [{'role': 'user', 'content': 'SECRET-PROMPT'}],
            'response': 'SECRET-ANSWER',
            'routing_trace': {'reason': 'cheapest', 'messages': ['SECRET-PROMPT'], 'candidates': [{'content': 'x'}]},
        },
    )
    session.commit()
    columns = {c['name'] for c in inspect(session.get_bind()).get_columns('generation')}
    assert not columns & {'prompt', 'messages', 'response', 'content', 'completion', 'input', 'output'}
    stored = session.get(Generation, generation.id)
    assert 'SECRET' not in repr(stored.model_dump())
    assert stored.routing_trace == {'reason': 'cheapest', 'candidates': [{}]}


@pytest.mark.parametrize(
    ('payload', 'field'),
    [
        ({'model': 'nobody/no-such-model', 'prompt_tokens': 1, 'completion_tokens': 1}, 'model'),
        ({'model': 'openai/gpt-4o-mini', 'region': 'atlantis-1', 'prompt_tokens': 1, 'completion_tokens': 1}, 'region'),
        ({'model': 'openai/gpt-4o-mini', 'prompt_tokens': -1, 'completion_tokens': 1}, 'prompt_tokens'),
        ({'model': 'openai/gpt-4o-mini', 'prompt_tokens': 1, 'completion_tokens': 10**12}, 'completion_tokens'),
        ({'model': 'openai/gpt-4o-mini', 'prompt_tokens': 1}, 'completion_tokens'),
        ({'model': 'openai/gpt-4o-mini', 'prompt_tokens': 1, 'completion_tokens': 1, 'cost': 0.1}, 'cost'),
        (
            {
                'model': 'openai/gpt-4o-mini',
                'prompt_tokens': 1,
                'completion_tokens': 1,
                'created_at': '2026-11-24T10:00:00',
            },
            'created_at',
        ),
    ],
)
def test_invalid_input_is_rejected_and_nothing_is_written(session, account, payload, field):
    with pytest.raises(IngestError) as error:
        record_generation(session, account, payload)
    session.commit()
    assert error.value.field == field
    assert _count(session, Generation) == 0
    assert _count(session, UsageHour) == 0


def test_a_retry_with_the_same_key_records_once(session, account):
    payload = {'model': 'openai/gpt-4o-mini', 'prompt_tokens': 10, 'completion_tokens': 20, 'external_id': 'req-42'}
    first, created = record_generation(session, account, payload, idempotency_key='idem-1')
    again, created_again = record_generation(session, account, payload, idempotency_key='idem-1')
    by_external_id, _ = record_generation(session, account, payload)
    session.commit()
    assert created and not created_again
    assert first.id == again.id == by_external_id.id
    assert _count(session, Generation) == 1
    assert session.exec(select(UsageHour.requests)).one() == 1


def _rollup_snapshot(session):
    rows = session.exec(select(UsageHour)).all()
    return sorted(
        (r.hour, r.api_key_id, r.model, r.provider, r.region, *(round(getattr(r, c), 9) for c in SUMS)) for r in rows
    )
