from datetime import UTC, datetime, timedelta

import pytest

from services import eco
from services.catalog import get_catalog
from services.eco_impact import eco_impact, verdict_sentence
from services.ingest import record_generation

SMALL = 'meta-llama/llama-3.1-8b-instruct'  # published size
LARGE = 'meta-llama/llama-3.1-405b-instruct'  # published size
NOW = datetime.now(UTC)


def _record(session, account, model, count, completion=400):
    offer = get_catalog().offers_for(model)[0]
    for i in range(count):
        record_generation(
            session,
            account,
            {
                'model': model,
                'provider': offer.provider,
                'region': offer.region,
                'prompt_tokens': 1000,
                'completion_tokens': completion + i,
                'created_at': NOW - timedelta(hours=1 + i % 48),
            },
        )
    session.commit()
    return offer


def _expected_baseline_carbon(offer, baseline, tokens):
    catalog = get_catalog()
    _, per_token = eco.per_output_token(
        catalog.models[baseline],
        catalog.providers[offer.provider].pue,
        catalog.regions[offer.region].grid_intensity_g_per_kwh,
    )
    return per_token.value * tokens


def test_a_higher_energy_baseline_gives_the_saved_case_with_the_exact_value(session, account):
    offer = _record(session, account, SMALL, 120)
    impact = eco_impact(session, account, baseline=LARGE, now=NOW)
    tokens = sum(400 + i for i in range(120))
    expected_baseline = _expected_baseline_carbon(offer, LARGE, tokens)
    assert impact.verdict == 'saved'
    assert impact.completion_tokens == tokens
    assert impact.baseline_carbon_g.value == pytest.approx(expected_baseline, rel=1e-9)
    assert impact.carbon_difference_g == pytest.approx(expected_baseline - impact.carbon_g.value, rel=1e-9)
    assert impact.caveats == []
    sentence = verdict_sentence(impact, 'Llama 3.1 405B Instruct')
    assert sentence.startswith('You saved ') and 'compared with Llama 3.1 405B Instruct' in sentence


def test_a_lower_energy_baseline_says_usage_used_more(session, account):
    _record(session, account, LARGE, 120)
    impact = eco_impact(session, account, baseline=SMALL, now=NOW)
    assert impact.verdict == 'used_more'
    assert impact.energy_difference_pct == pytest.approx(
        100 * (impact.energy_wh.value - impact.baseline_energy_wh.value) / impact.baseline_energy_wh.value
    )
    assert 'more energy than' in verdict_sentence(impact, 'X')
    assert 'saved' not in verdict_sentence(impact, 'X')


def test_the_same_model_as_baseline_is_comparable(session, account):
    _record(session, account, SMALL, 120)
    impact = eco_impact(session, account, baseline=SMALL, now=NOW)
    assert impact.verdict == 'comparable'
    assert impact.carbon_difference_g == pytest.approx(0, abs=1e-9)
    assert 'About the same energy' in verdict_sentence(impact, 'X')


def test_few_generations_reduce_confidence(session, account):
    _record(session, account, SMALL, 12)
    impact = eco_impact(session, account, baseline=LARGE, now=NOW)
    assert impact.reduced_confidence
    assert 'small_sample' in impact.caveats


def test_estimated_model_sizes_reduce_confidence(session, account):
    _record(session, account, 'openai/gpt-4o-mini', 120)
    impact = eco_impact(session, account, baseline=LARGE, now=NOW)
    assert 'estimated_parameters' in impact.caveats
    assert impact.reduced_confidence
    assert impact.energy_wh.low < impact.energy_wh.value < impact.energy_wh.high


def test_the_window_and_the_model_filter(session, account):
    _record(session, account, SMALL, 120)
    offer = get_catalog().offers_for(LARGE)[0]
    record_generation(
        session,
        account,
        {
            'model': LARGE,
            'provider': offer.provider,
            'region': offer.region,
            'prompt_tokens': 1,
            'completion_tokens': 999,
            'created_at': NOW - timedelta(days=45),
        },
    )
    session.commit()
    assert eco_impact(session, account, baseline=LARGE, now=NOW).requests == 120
    assert eco_impact(session, account, baseline=LARGE, days=60, now=NOW).requests == 121
    assert eco_impact(session, account, baseline=LARGE, days=60, model=LARGE, now=NOW).requests == 1
