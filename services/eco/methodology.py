"""What the methodology page states about methods (a) and (b), the range and the verdict, taken from the code and
data that compute every record (never retyped). Tables of models, grids and versions: services/methodology_tables.

Functions return display-ready text (numbers through services.units.number_text), so the page only lays them out.
"""

from __future__ import annotations

from ecologits.impacts import llm

from services.catalog import get_catalog
from services.eco import _ecologits as eco_ecologits
from services.eco import calibration as eco_calibration
from services.eco import estimate as eco
from services.eco import grid
from services.eco._span import Span
from services.eco._verdict import RATIO_FROM, Comparison, verdict_sentence
from services.eco.impact import CAVEATS, ESTIMATED_SHARE, SMALL_SAMPLE, caveat_anchor
from services.units import number_text

ECOLOGITS_DOCS = 'https://ecologits.ai/latest/methodology/llm_inference/'
EXAMPLE_G_PER_WH = 0.4  # carbon of the made-up windows of verdict_examples: 400 g CO2e/kWh on both sides
ECOLOGITS_PACKAGE = f'https://pypi.org/project/ecologits/{eco.ECOLOGITS_VERSION}/'


def stamp() -> dict:
    """The current stamp and its parts."""
    return {
        'version': eco.METHODOLOGY_VERSION,
        'method': eco.METHOD,
        'ecologits': eco.ECOLOGITS_VERSION,
        'data_hash': eco.data_hash(),
        'files': [f'data/{name}' for name in eco.DATA_FILES],
        'legacy': eco.LEGACY_VERSION,
    }


def ecologits_constants() -> list[dict]:
    """EcoLogits' constants as method (a) uses them (symbol, meaning, value with unit)."""
    rows = [
        ('α', 'GPU energy: slope on active parameters', llm.GPU_ENERGY_ALPHA, 'Wh per token per billion parameters'),
        ('β', 'GPU energy: effect of the batch size', llm.GPU_ENERGY_BETA, 'per request in the batch'),
        ('γ', 'GPU energy: per token at any size', llm.GPU_ENERGY_GAMMA, 'Wh per token'),
        ('α′', 'time per token: slope on active parameters', llm.LATENCY_ALPHA, 's per billion parameters'),
        ('β′', 'time per token: effect of the batch size', llm.LATENCY_BETA, 's per request in the batch'),
        ('γ′', 'time per token: fixed part', llm.LATENCY_GAMMA, 's'),
        ('B', 'requests served together (batch)', llm.BATCH_SIZE, 'requests'),
        ('Q', 'bits per parameter', llm.MODEL_QUANTIZATION_BITS, 'bits'),
        ('M', 'memory of one GPU', llm.GPU_MEMORY, 'GB'),
        ('S', 'GPUs per server', llm.SERVER_GPUS, 'GPUs'),
        ('W', 'power of a server without its GPUs', llm.SERVER_POWER, 'kW'),
        ('E_gpu', 'manufacturing of one GPU', llm.GPU_EMBODIED_IMPACT_GWP, 'kg CO2e'),
        ('E_server', 'manufacturing of one server without its GPUs', llm.SERVER_EMBODIED_IMPACT_GWP, 'kg CO2e'),
        ('L', 'hardware lifespan', llm.HARDWARE_LIFESPAN, f's ({llm.HARDWARE_LIFESPAN / (365 * 24 * 3600):g} years)'),
    ]
    return [{'symbol': s, 'meaning': m, 'value': _constant(v), 'unit': u} for s, m, v, u in rows]


def measured_deployments() -> list[dict]:
    """Catalog models for which EcoLogits ships measured tokens per second and time to first token."""
    rows = []
    for model in get_catalog().models.values():
        measured = eco_ecologits.measured_deployment(model)
        if measured:
            tps, ttft = measured
            rows.append({'model': model.name, 'id': model.id, 'tps': number_text(tps), 'ttft': number_text(ttft)})
    return rows


def without_measurements() -> list[str]:
    """Names of the catalog models that fall back to EcoLogits' latency regression."""
    return [m.name for m in get_catalog().models.values() if not eco_ecologits.measured_deployment(m)]


def calibration() -> dict:
    """The fitted power law and what it rests on."""
    fit = eco_calibration.fit()
    fitted = [r for r in eco_calibration.references() if r.use == 'fit']
    return {
        'c': f'{fit.coefficient:.4g}',
        'a': f'{fit.exponent:.3f}',
        'spread': f'{fit.spread:.2f}',
        'c_1k': number_text(fit.coefficient * 1000),
        'reference_pue': f'{eco_calibration.reference_pue():g}',
        'fitted': len(fitted),
        'checks': sum(r.use == 'check' for r in eco_calibration.references()),
    }


def reference_rows() -> list[dict]:
    """Every row of data/eco_calibration.csv with the fit's value for its own scenario."""
    rows = []
    for r in eco_calibration.references():
        estimate = eco_calibration.reference_estimate(r)
        ratio = estimate / r.wh
        rows.append({
            'id': r.id, 'use': r.use, 'source': r.source, 'url': r.url, 'published': r.published,
            'boundary': r.boundary,
            'tokens': f'{r.prompt_tokens:,} prompt + {r.completion_tokens:,} output tokens',
            'figure': f'{number_text(r.wh)} Wh'
            + ('' if r.wh_low == r.wh_high else f' ({number_text(r.wh_low)}–{number_text(r.wh_high)})'),
            'range_note': r.range_note, 'fit': f'{number_text(estimate)} Wh',
            'fit_note': _fit_note(ratio, r.wh_low == r.wh_high or r.wh_low <= estimate <= r.wh_high),
            'scenario': f'{r.model_class}, {r.active_params_b:g}B active',
        })  # fmt: skip
    return rows


def _fit_note(ratio: float, inside: bool) -> str:
    times = f'{ratio:.2f}× the reference' if ratio >= 1 else f'{1 / ratio:.1f}× lower than the reference'
    return times + ('' if inside else ', outside its range')


def long_context() -> dict:
    """The check row with the most prompt tokens: how far the linear prompt factor falls short there."""
    row = max(eco_calibration.references(), key=lambda r: r.prompt_tokens)
    estimate = eco_calibration.reference_estimate(row)
    return {
        'source': row.source,
        'prompt_tokens': f'{row.prompt_tokens:,}',
        'reference': number_text(row.wh),
        'fit': number_text(estimate),
        'times': f'{row.wh / estimate:.1f}',
    }


def input_factor() -> dict:
    f = eco_calibration.input_factor()
    return {'low': f'{f.low:g}', 'value': f'{f.value:g}', 'high': f'{f.high:g}', 'unit': f.unit, 'source': f.source}


def widening() -> dict:
    """The numbers behind each thing that widens a range."""
    fit, factor = eco_calibration.fit(), eco_calibration.input_factor()
    low_pue, _, high_pue = grid.DEFAULT_PUE_RANGE
    return {
        'spread': f'{fit.spread:.2f}',
        'factor_low': f'{factor.low:g}',
        'factor_high': f'{factor.high:g}',
        'default_pue': f'{grid.DEFAULT_PUE:g}',
        'default_pue_range': f'{low_pue:g}–{high_pue:g}',
    }


def embodied_example(model_id: str = 'meta-llama/llama-3.1-70b-instruct') -> dict:
    """Manufacturing carbon of 1 000 output tokens of one model, from the same function as every record."""
    model = get_catalog().models[model_id]
    pue = eco.DEFAULT_PUE
    grams = eco.energy_of(model, (pue, pue, pue), 0, 1000).embodied_g
    return {'model': model.name, 'g': number_text(grams.value), 'seconds': number_text(_seconds_per_1k(model))}


def verdict_rules() -> dict:
    return {'ratio_from': f'{RATIO_FROM:g}'}


def verdict_examples() -> list[dict]:
    """The panel's own sentences for three made-up windows: beyond the uncertainty lower, within it, and more than
    RATIO_FROM times higher."""
    times = RATIO_FROM + 1.2  # '3.2×' with the rule as it stands
    cases = [
        ('Lower, beyond the uncertainty', (10, 12, 14), (30, 40, 50)),
        ('Within the uncertainty', (10, 12, 16), (11, 13, 17)),
        (f'Higher, more than {RATIO_FROM:g} times', (9.5 * times, 10 * times, 10.5 * times), (9.5, 10, 10.5)),
    ]
    examples = []
    for title, actual, baseline in cases:
        energy, base = Span(*actual), Span(*baseline)
        c = Comparison('the baseline model', 1, energy, energy.scaled(EXAMPLE_G_PER_WH), Span.zero(), base,
                       base.scaled(EXAMPLE_G_PER_WH), Span.zero())  # fmt: skip
        examples.append({
            'title': title, 'actual': _span_text(energy), 'baseline': _span_text(base), 'sentence': verdict_sentence(c),
        })  # fmt: skip
    return examples


def caveat_rules() -> list[dict]:
    """One entry per caveat a record or the panel can carry; its anchor is the code with '-' for '_'."""
    record_only = {code: text for code, text in eco.CAVEATS.items() if code not in CAVEATS}
    rows = [
        {'anchor': caveat_anchor(code), 'shown_as': text, 'when': _WHEN.get(code, ''), 'where': 'the Eco impact panel'}
        for code, text in CAVEATS.items()
    ]
    rows += [
        {'anchor': caveat_anchor(code), 'shown_as': text, 'when': _WHEN.get(code, ''), 'where': 'a record'}
        for code, text in record_only.items()
    ]
    return rows


def _pct(share: float) -> str:
    return f'{share * 100:g} %'


def _span_text(span: Span) -> str:
    return f'{number_text(span.value)} Wh ({number_text(span.low)}–{number_text(span.high)})'


def _constant(value: float) -> str:
    if isinstance(value, int) or float(value).is_integer():
        return f'{int(value):,}'
    return f'{value:.6g}'


def _seconds_per_1k(model) -> float:
    low, high = eco_ecologits.coefficients(model)
    return (low.generation_seconds(1000, None) + high.generation_seconds(1000, None)) / 2


_WHEN = {
    'small_sample': f'The window holds fewer than {SMALL_SAMPLE:,} generations.',
    'estimated_parameters': f"More than {_pct(ESTIMATED_SHARE)} of the window's energy comes from records marked "
    'estimated: a model whose size is not published, a region whose grid fell back to a wider area, or a provider '
    'not in the catalog.',
    'grid_fallback': 'A region had no grid data of its own, so a country average (or, for an unknown region, the '
    'world average) stood in for it.',
    'baseline_estimated': "The baseline model's size is not published, so the baseline is itself an estimate with a "
    'wide range.',
    'mixed_methodology': 'The window holds records stamped with more than one methodology version. Each part is '
    'compared with a baseline of its own version.',
    'not_comparable': 'Some records carry a version that can no longer be computed; they are counted in the totals '
    'but left out of the comparison until they are recomputed.',
    'outside_band': "The model's central figure falls outside the review band of its tier (see the per-model "
    'table for each reason).',
    'estimated_size': 'The model does not publish its size; EcoLogits gives a range of parameters.',
}
