"""The eco impact comparison: every verdict with its exact sentence, from generations stored by the normal
ingestion service and compared with a baseline computed by the same methodology version."""

import dataclasses
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import select

from services.catalog import get_catalog
from services.eco import estimate as eco
from services.eco._verdict import NO_USAGE, Comparison, verdict_sentence
from services.eco.impact import caveat_text, eco_impact
from services.models import Generation
from services.units import carbon_text, energy_text
from tests.support import factories

L8 = 'meta-llama/llama-3.1-8b-instruct'  # published sizes
L70 = 'meta-llama/llama-3.1-70b-instruct'
L405 = 'meta-llama/llama-3.1-405b-instruct'
MIXTRAL = 'mistral/mixtral-8x22b-instruct'
GPT4O = 'openai/gpt-4o'
NOW = datetime.now(UTC)
OLD_STAMP = 'eco-2 · EcoLogits 0.11.3 · data 00000000'  # an earlier eco data set: no longer computable


@contextmanager
def stamped(version: str):
    """Ingest as records of `version` were ingested: eco-1 by the frozen legacy path, an outdated eco-2 stamp
    as the current numbers under that stamp."""
    real = eco.estimate

    def estimate(*args, **kwargs):
        if version == eco.LEGACY_VERSION:
            return real(*args, **kwargs, version=version)
        return dataclasses.replace(real(*args, **kwargs), methodology_version=version)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(eco, 'estimate', estimate)
        yield


def _record(session, account, model, count, *, provider=None, region=None, completion=400, prompt=1000):
    """`count` generations of `model` over the last two days, recorded through ingestion."""
    offer = factories.offer_of(model)
    fields = {'model': model, 'provider': provider or offer.provider, 'region': region or offer.region}
    fields |= {'prompt_tokens': prompt, 'completion_tokens': completion}
    moments = (NOW - timedelta(hours=1 + i % 48) for i in range(count))
    factories.generations(account, (fields | {'created_at': moment} for moment in moments), session=session)
    session.commit()


def _stored(session, account, versions=None):
    """(actual energy, carbon, embodied, baseline energy, carbon, embodied) for `baseline`, from the raw
    generations, the baseline per (provider, region, version) as the methodology defines it."""
    sums = [func.sum(getattr(Generation, c)) for c in ('energy_wh_low', 'energy_wh', 'energy_wh_high')]
    sums += [func.sum(getattr(Generation, c)) for c in ('carbon_g_low', 'carbon_g', 'carbon_g_high')]
    sums += [func.sum(getattr(Generation, c)) for c in ('embodied_g_low', 'embodied_g', 'embodied_g_high')]
    sums += [func.count(), func.sum(Generation.prompt_tokens), func.sum(Generation.completion_tokens)]
    keys = (Generation.provider, Generation.region, Generation.methodology_version)
    query = select(*keys, *sums).where(Generation.account_id == account.id).group_by(*keys)
    return [row for row in session.exec(query) if versions is None or row[2] in versions]


def _expected(session, account, baseline, versions=None):
    rows = _stored(session, account, versions)
    actual = [eco.Span(*(sum(float(r[3 + 3 * k + i]) for r in rows) for i in range(3))) for k in range(3)]
    estimates = [
        eco.estimate(get_catalog(), baseline, p, r, int(c), prompt_tokens=int(pt), requests=n, version=v)
        for p, r, v, *_, n, pt, c in rows
    ]
    base = [sum((getattr(e, a) for e in estimates), eco.Span.zero()) for a in ('energy_wh', 'carbon_g', 'embodied_g')]
    return actual, base


def _pct_less(actual, base):
    pct = 100 * (base - actual) / base
    assert 1 <= pct < 99.5  # the test's own rounding is the plain one in this range
    return round(pct)


def test_lower_beyond_the_uncertainty_says_saved_and_avoided_with_positive_amounts(session, account):
    _record(session, account, L8, 120)
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    (energy, carbon, embodied), (b_energy, b_carbon, b_embodied) = _expected(session, account, L405)
    c = impact.comparison
    assert (impact.energy_verdict, impact.carbon_verdict) == ('lower', 'lower')
    assert b_energy.low > energy.high and b_carbon.low > carbon.high
    for got, want in ((impact.energy_wh, energy), (c.carbon_g, carbon), (impact.embodied_g, embodied)):
        assert got.as_dict() == pytest.approx(want.as_dict(), rel=1e-9)
    for got, want in ((c.baseline_energy_wh, b_energy), (c.baseline_carbon_g, b_carbon)):
        assert got.as_dict() == pytest.approx(want.as_dict(), rel=1e-9)
    assert c.baseline_embodied_g.as_dict() == pytest.approx(b_embodied.as_dict(), rel=1e-9)
    assert 0 < impact.embodied_g.value < impact.carbon_g.value
    assert impact.summary == (
        f'You saved {energy_text(b_energy.value - energy.value)} of energy '
        f'({_pct_less(energy.value, b_energy.value)} % less) compared with Llama 3.1 405B Instruct. '
        f'You avoided {carbon_text(b_carbon.value - carbon.value)} '
        f'({_pct_less(carbon.value, b_carbon.value)} % less) compared with Llama 3.1 405B Instruct.'
    )


def test_higher_beyond_the_uncertainty_more_than_twice_reads_as_a_ratio(session, account):
    _record(session, account, L405, 120)
    impact = eco_impact(session, account, baseline=L8, now=NOW)
    (energy, carbon, _), (b_energy, b_carbon, _) = _expected(session, account, L8)
    assert (impact.energy_verdict, impact.carbon_verdict) == ('higher', 'higher')
    assert energy.value / b_energy.value > 2 and carbon.value / b_carbon.value > 2
    assert impact.summary == (
        f'You used {energy.value / b_energy.value:.1f}× the energy Llama 3.1 8B Instruct would have. '
        f'You emitted {carbon.value / b_carbon.value:.1f}× the carbon Llama 3.1 8B Instruct would have.'
    )
    assert '%' not in impact.summary


def test_higher_beyond_the_uncertainty_up_to_twice_reads_as_a_percent(session, account):
    # eco-1 records of models with a published size are exact: the ranges are points
    with stamped(eco.LEGACY_VERSION):
        _record(session, account, MIXTRAL, 120)
    impact = eco_impact(session, account, baseline=L70, now=NOW)
    (energy, carbon, _), (b_energy, b_carbon, _) = _expected(session, account, L70)
    assert impact.methodology_versions == [eco.LEGACY_VERSION]
    assert (
        b_energy
        == eco.estimate(
            get_catalog(), L70, *_stored(session, account)[0][:2], 48_000, version=eco.LEGACY_VERSION
        ).energy_wh
    )
    assert (impact.energy_verdict, impact.carbon_verdict) == ('higher', 'higher')
    energy_pct = round(100 * (energy.value / b_energy.value - 1))
    carbon_pct = round(100 * (carbon.value / b_carbon.value - 1))
    assert 1 <= energy_pct <= 100 and 1 <= carbon_pct <= 100
    assert impact.summary == (
        f'You used {energy_pct} % more energy than Llama 3.1 70B Instruct would have. '
        f'You emitted {carbon_pct} % more carbon than Llama 3.1 70B Instruct would have.'
    )


def test_overlapping_ranges_are_within_the_uncertainty_not_a_saving(session, account):
    _record(session, account, L70, 120)
    baseline = 'mistral/mistral-medium'
    name = get_catalog().models[baseline].name
    impact = eco_impact(session, account, baseline=baseline, now=NOW)
    (energy, carbon, _), (b_energy, b_carbon, _) = _expected(session, account, baseline)
    assert (impact.energy_verdict, impact.carbon_verdict) == ('within', 'within')
    assert energy.overlaps(b_energy) and carbon.overlaps(b_carbon)
    assert energy.value < b_energy.value and carbon.value < b_carbon.value  # lower centrals: still no saving
    assert impact.summary == (
        f"Your energy use is within the uncertainty of {name}'s "
        f'({_pct_less(energy.value, b_energy.value)} % lower at the central estimates). '
        f"Your carbon is within the uncertainty of {name}'s "
        f'({_pct_less(carbon.value, b_carbon.value)} % lower at the central estimates).'
    )
    assert 'saved' not in impact.summary and 'avoided' not in impact.summary


def test_overlapping_ranges_with_higher_centrals(session, account):
    _record(session, account, L70, 120)
    impact = eco_impact(session, account, baseline=MIXTRAL, now=NOW)
    (energy, carbon, _), (b_energy, b_carbon, _) = _expected(session, account, MIXTRAL)
    assert (impact.energy_verdict, impact.carbon_verdict) == ('within', 'within')
    energy_pct = round(100 * (energy.value / b_energy.value - 1))
    carbon_pct = round(100 * (carbon.value / b_carbon.value - 1))
    assert 1 <= energy_pct <= 100 and 1 <= carbon_pct <= 100
    assert impact.summary == (
        f"Your energy use is within the uncertainty of Mixtral 8x22B Instruct's ({energy_pct} % higher at the "
        f"central estimates). Your carbon is within the uncertainty of Mixtral 8x22B Instruct's ({carbon_pct} % "
        'higher at the central estimates).'
    )


def test_the_same_model_as_baseline_is_within_with_equal_centrals(session, account):
    _record(session, account, L8, 120)
    impact = eco_impact(session, account, baseline=L8, now=NOW)
    (energy, _, _), (b_energy, _, _) = _expected(session, account, L8)
    assert energy.value == pytest.approx(b_energy.value, rel=1e-9)
    assert impact.summary == (
        "Your energy use is within the uncertainty of Llama 3.1 8B Instruct's. "
        "Your carbon is within the uncertainty of Llama 3.1 8B Instruct's."
    )


def test_energy_and_carbon_disagreeing_say_why_from_the_grids(session, account):
    """A large model on Japan's grid and many small requests on Sweden's, against a mid-sized model on the same
    usage: less energy, but more of it on a carbon-intensive grid."""
    with stamped(eco.LEGACY_VERSION):
        _record(session, account, GPT4O, 10, provider='azure-openai', region='japaneast')
        _record(session, account, 'mistral/ministral-8b', 100, provider='mistral', region='swedencentral')
    baseline = 'mistral/mistral-medium'
    name = get_catalog().models[baseline].name
    impact = eco_impact(session, account, baseline=baseline, now=NOW)
    (energy, carbon, _), (b_energy, b_carbon, _) = _expected(session, account, baseline)
    assert (impact.energy_verdict, impact.carbon_verdict) == ('lower', 'higher')
    carbon_pct = round(100 * (carbon.value / b_carbon.value - 1))
    assert 1 <= carbon_pct <= 100
    assert impact.summary == (
        f'You saved {energy_text(b_energy.value - energy.value)} of energy '
        f'({_pct_less(energy.value, b_energy.value)} % less) compared with {name}. '
        f'You emitted {carbon_pct} % more carbon than {name} would have. '
        'Carbon differs from energy because more of your energy was used in regions with more carbon-intensive '
        'electricity.'
    )
    # the grid explanation holds: the actual energy sat on a dirtier grid than the baseline's
    assert carbon.value / energy.value > b_carbon.value / b_energy.value


def test_the_other_way_round_names_the_cleaner_grid(session, account):
    with stamped(eco.LEGACY_VERSION):
        _record(session, account, 'mistral/mistral-medium', 60, provider='mistral', region='fr-par')
        _record(session, account, 'mistral/mistral-7b-instruct', 60, provider='aws-bedrock', region='ap-south-1')
    impact = eco_impact(session, account, baseline='mistral/mistral-small', now=NOW)
    assert (impact.energy_verdict, impact.carbon_verdict) == ('higher', 'lower')
    assert impact.summary.startswith('You used ') and ' more energy than Mistral Small 4 would have. ' in impact.summary
    assert ' % less) compared with Mistral Small 4. ' in impact.summary
    assert impact.summary.endswith(
        'Carbon differs from energy because more of your energy was used in regions with cleaner electricity.'
    )


def test_no_usage(session, account):
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    assert impact.summary == NO_USAGE == 'No usage in this window yet.'
    assert (impact.energy_verdict, impact.carbon_verdict) == ('no_usage', 'no_usage')
    assert impact.caveats == []
    assert impact.energy_wh == impact.comparison.baseline_energy_wh == eco.Span.zero()


def test_each_version_is_compared_with_a_baseline_of_its_own_version(session, account):
    with stamped(eco.LEGACY_VERSION):
        _record(session, account, L70, 60)
    _record(session, account, L70, 60)
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    (energy, _, embodied), (b_energy, b_carbon, b_embodied) = _expected(session, account, L405)
    versions = sorted([eco.LEGACY_VERSION, eco.METHODOLOGY_VERSION])
    assert impact.methodology_versions == versions
    assert impact.comparison.baseline_energy_wh.as_dict() == pytest.approx(b_energy.as_dict(), rel=1e-9)
    assert impact.comparison.baseline_carbon_g.as_dict() == pytest.approx(b_carbon.as_dict(), rel=1e-9)
    legacy_only = _expected(session, account, L405, versions={eco.LEGACY_VERSION})[1][0]
    current_only = _expected(session, account, L405, versions={eco.METHODOLOGY_VERSION})[1][0]
    assert b_energy.value == pytest.approx(legacy_only.value + current_only.value)
    assert legacy_only.value != pytest.approx(current_only.value, rel=0.01)  # the versions really differ
    assert impact.comparison.baseline_embodied_g == pytest.approx(b_embodied)
    assert 'mixed_methodology' in impact.caveats
    assert caveat_text(impact, 'mixed_methodology') == (
        f'Records in this window were computed with more than one methodology version: {", ".join(versions)}.'
    )
    assert 'not_comparable' not in impact.caveats


def test_records_of_a_version_that_cannot_be_computed_are_left_out_and_named(session, account):
    with stamped(OLD_STAMP):
        _record(session, account, L8, 30)
    _record(session, account, L8, 120)
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    assert impact.requests == 150 and impact.comparison.requests == 120
    (energy, _, _), (b_energy, _, _) = _expected(session, account, L405, versions={eco.METHODOLOGY_VERSION})
    assert impact.comparison.energy_wh.as_dict() == pytest.approx(energy.as_dict(), rel=1e-9)
    assert impact.comparison.baseline_energy_wh.as_dict() == pytest.approx(b_energy.as_dict(), rel=1e-9)
    assert impact.energy_wh.value > impact.comparison.energy_wh.value  # the window total keeps every record
    assert impact.not_comparable_versions == [OLD_STAMP]
    assert {'mixed_methodology', 'not_comparable'} <= set(impact.caveats)
    assert caveat_text(impact, 'not_comparable') == (
        f'Left out of the comparison: records stamped {OLD_STAMP}, a methodology version that can no longer be '
        'computed (python app.py eco-recompute recomputes them).'
    )
    assert impact.summary.startswith('You saved ')


def test_a_window_of_only_uncomputable_records_says_it_cannot_compare(session, account):
    with stamped(OLD_STAMP):
        _record(session, account, L8, 5)
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    assert (impact.energy_verdict, impact.carbon_verdict) == ('not_comparable', 'not_comparable')
    assert impact.summary == (
        'None of this usage can be compared with Llama 3.1 405B Instruct: '
        'its methodology version can no longer be computed.'
    )


def test_a_country_average_grid_is_a_caveat_and_a_zone_is_not(session, account):
    _record(session, account, L8, 120, provider='groq', region='generic-usa')  # country average
    assert 'grid_fallback' in eco_impact(session, account, baseline=L405, now=NOW).caveats


def test_a_regional_grid_gives_no_grid_caveat(session, account):
    _record(session, account, 'mistral/ministral-8b', 120, provider='mistral', region='swedencentral')
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    assert impact.caveats == []
    assert not impact.reduced_confidence


def test_few_generations_reduce_confidence(session, account):
    _record(session, account, L8, 12)
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    assert impact.reduced_confidence
    assert 'small_sample' in impact.caveats


def test_estimated_model_sizes_reduce_confidence(session, account):
    _record(session, account, 'openai/gpt-4o-mini', 120)
    impact = eco_impact(session, account, baseline=L405, now=NOW)
    assert 'estimated_parameters' in impact.caveats
    assert impact.reduced_confidence
    assert impact.energy_wh.low < impact.energy_wh.value < impact.energy_wh.high


def test_the_window_and_the_model_filter(session, account):
    _record(session, account, L8, 120)
    factories.generation(
        account,
        session=session,
        offer=factories.offer_of(L405),
        prompt_tokens=1,
        completion_tokens=999,
        created_at=NOW - timedelta(days=45),
    )
    session.commit()
    assert eco_impact(session, account, baseline=L405, now=NOW).requests == 120
    assert eco_impact(session, account, baseline=L405, days=60, now=NOW).requests == 121
    assert eco_impact(session, account, baseline=L405, days=60, model=L405, now=NOW).requests == 1


# The sentence on its own: the cases real data cannot reach, and its promises for any figures.


def _comparison(energy, baseline_energy, carbon=None, baseline_carbon=None, embodied=None, baseline_embodied=None):
    zero = eco.Span.zero()
    return Comparison(
        'Model X',
        100,
        eco.Span(*energy),
        eco.Span(*(carbon or energy)),
        eco.Span(*(embodied or zero.as_dict().values())),
        eco.Span(*baseline_energy),
        eco.Span(*(baseline_carbon or baseline_energy)),
        eco.Span(*(baseline_embodied or zero.as_dict().values())),
    )


def test_manufacturing_is_named_when_the_grids_do_not_explain_the_difference():
    # energy: 10 vs 20 Wh at the same 0.4 g/Wh grid; carbon: 4 + 30 manufacturing vs 8 + 2
    more = _comparison((9, 10, 11), (19, 20, 21), (33, 34, 35), (9, 10, 11), (29, 30, 31), (1, 2, 3))
    assert (more.energy_verdict, more.carbon_verdict) == ('lower', 'higher')
    assert verdict_sentence(more).endswith(
        'Carbon differs from energy because your usage has a larger share of hardware manufacturing carbon than '
        'Model X would have.'
    )
    less = _comparison((19, 20, 21), (9, 10, 11), (9, 10, 11), (33, 34, 35), (1, 2, 3), (29, 30, 31))
    assert (less.energy_verdict, less.carbon_verdict) == ('higher', 'lower')
    assert verdict_sentence(less) == (
        'You used 100 % more energy than Model X would have. You avoided 24 g CO2e (71 % less) compared with '
        'Model X. Carbon differs from energy because your usage has a smaller share of hardware manufacturing '
        'carbon than Model X would have.'
    )


def test_percentages_never_round_a_difference_away():
    assert verdict_sentence(_comparison((99.6, 99.7, 99.8), (99.9, 100, 100.1))).startswith(
        'You saved 0.30 Wh of energy (under 1 % less)'
    )
    assert verdict_sentence(_comparison((0.1, 0.2, 0.3), (99, 100, 101))).startswith(
        'You saved 100 Wh of energy (99 % less)'
    )
    assert verdict_sentence(_comparison((10, 32, 50), (9, 10, 11))).startswith(
        "Your energy use is within the uncertainty of Model X's (3.2× as much at the central estimates)."
    )
    assert verdict_sentence(_comparison((10, 13, 50), (9, 10, 11))).startswith(
        "Your energy use is within the uncertainty of Model X's (30 % higher at the central estimates)."
    )


def test_a_ratio_of_exactly_two_is_a_percent_and_above_it_a_ratio():
    assert verdict_sentence(_comparison((20, 20, 20), (10, 10, 10))).startswith(
        'You used 100 % more energy than Model X would have.'
    )
    assert verdict_sentence(_comparison((320, 320, 320), (100, 100, 100))).startswith(
        'You used 3.2× the energy Model X would have.'
    )
    assert verdict_sentence(_comparison((10_159, 10_159, 10_159), (99, 99, 99))).startswith(
        'You used 102.6× the energy Model X would have.'
    )


def _span(draw_three):
    low, value, high = sorted(draw_three)
    return (low, value, high)


FIGURES = st.one_of(
    st.floats(min_value=0, max_value=1e300, allow_nan=False), st.sampled_from([0.0, 5e-324, 1e-9, 0.004, 1.0])
)
SPANS = st.lists(FIGURES, min_size=3, max_size=3).map(_span)


@given(SPANS, SPANS, SPANS, SPANS, SPANS, SPANS)
def test_no_sentence_ever_prints_a_negative_figure(e, be, c, bc, m, bm):
    comparison = _comparison(e, be, c, bc, m, bm)
    sentence = verdict_sentence(comparison)
    assert not re.search(r'-\s*\d', sentence), sentence
    assert 'nan' not in sentence and 'inf' not in sentence
    if comparison.energy_verdict == 'lower':
        assert sentence.startswith('You saved ')
    if comparison.energy_verdict == 'higher':
        assert sentence.startswith('You used ')
    if comparison.energy_verdict == 'within':
        assert sentence.startswith('Your energy use is within the uncertainty')
    assert not re.search(r'\d{4,} %', sentence.replace(',', ''))  # never "10159 %"


# An exact window [since, until): what the weekly e-mail compares.


def _record_at(session, account, model, moments, completion=400):
    offer = factories.offer_of(model)
    where = {'model': model, 'provider': offer.provider, 'region': offer.region}
    factories.generations(
        account,
        (
            where | {'created_at': moment, 'prompt_tokens': 1000 + i, 'completion_tokens': completion + i}
            for i, moment in enumerate(moments)
        ),
        session=session,
    )
    session.commit()


def test_an_exact_window_counts_the_generations_from_since_to_before_until(session, account):
    from services.notifications.mailer import last_week

    week = last_week(account.timezone, datetime(2026, 4, 1, 12, tzinfo=UTC))  # Paris: March 23 to 30, 167 hours
    assert (week.start, week.end) == (datetime(2026, 3, 22, 23, tzinfo=UTC), datetime(2026, 3, 29, 22, tzinfo=UTC))
    minute, second = timedelta(minutes=1), timedelta(seconds=1)
    inside = [week.start, week.start + 59 * minute, week.start + timedelta(days=3, hours=5), week.end - second]
    inside += [week.end - timedelta(hours=12), week.end - timedelta(hours=1)]  # the ragged hours of the last UTC day
    outside = [week.start - second, week.start - timedelta(days=2), week.end, week.end + 59 * minute]
    _record_at(session, account, L8, inside + outside)

    impact = eco_impact(session, account, baseline=L405, since=week.start, until=week.end)
    assert (impact.days, impact.since, impact.until) == (7, week.start, week.end)
    window = (Generation.created_at >= week.start, Generation.created_at < week.end)
    columns = [f'{s}{e}' for s in ('energy_wh', 'carbon_g', 'embodied_g') for e in ('_low', '', '_high')]
    count, prompt, completion, *sums = session.exec(
        select(
            func.count(),
            func.sum(Generation.prompt_tokens),
            func.sum(Generation.completion_tokens),
            *(func.sum(getattr(Generation, c)) for c in columns),
        ).where(Generation.account_id == account.id, *window)
    ).one()
    assert (impact.requests, impact.prompt_tokens, impact.completion_tokens) == (len(inside), prompt, completion)
    assert count == len(inside)
    spans = [impact.energy_wh, impact.carbon_g, impact.embodied_g]
    assert [v for s in spans for v in (s.low, s.value, s.high)] == pytest.approx([float(v) for v in sums], rel=1e-9)
    offer = get_catalog().offers_for(L8)[0]
    base = eco.estimate(
        get_catalog(), L405, offer.provider, offer.region, int(completion), prompt_tokens=int(prompt), requests=count
    )
    assert impact.comparison.baseline_carbon_g.as_dict() == pytest.approx(base.carbon_g.as_dict(), rel=1e-9)
    assert impact.summary == verdict_sentence(impact.comparison)
    assert impact.summary.startswith('You saved ')

    # consecutive windows share no generation and lose none; an open end is the old "from since on"
    before = eco_impact(session, account, baseline=L405, since=week.before[0], until=week.start)
    after = eco_impact(session, account, baseline=L405, since=week.end)
    assert (before.requests, after.requests) == (2, 2)
    assert before.requests + impact.requests + after.requests == len(inside + outside)
    assert eco_impact(session, account, baseline=L405, since=week.start).requests == len(inside) + 2
    assert eco_impact(session, account, baseline=L405, days=7, now=week.end - second).until is None


def test_an_exact_window_shorter_than_a_day_reads_hours_only(session, account):
    since = datetime(2026, 3, 10, 7, tzinfo=UTC)
    _record_at(session, account, L8, [since - timedelta(minutes=1), since, since + timedelta(hours=5, minutes=59)])
    _record_at(session, account, L8, [since + timedelta(hours=6)])
    impact = eco_impact(session, account, baseline=L405, since=since, until=since + timedelta(hours=6))
    assert (impact.requests, impact.days) == (2, 1)
    with pytest.raises(ValueError, match='until needs since'):
        eco_impact(session, account, baseline=L405, until=since)
