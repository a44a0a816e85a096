"""The energy sections of the methodology page: the stamp, method (a) EcoLogits, method (b) calibrated, how
the two make one range, and prompt tokens. Numbers come from services.eco.methodology(_tables), never typed."""

from __future__ import annotations

from nicegui import ui

from components.card_table import card_table
from components.methodology_blocks import anchor, fact, prose, section, source_cell, sub
from services.eco import methodology as m
from services.eco import methodology_tables as t


def version_section() -> None:
    s = m.stamp()
    section('version', 'Current version')
    ui.label(s['version']).classes('text-lg font-mono lr-stamp').mark('stamp')
    prose(
        f'Every record carries the stamp of the methodology that computed it. The stamp has three parts:\n\n'
        f'- **{s["method"]}**: the method described on this page.\n'
        f'- **EcoLogits {s["ecologits"]}**: the version of the EcoLogits library whose model and constants '
        'method (a) uses. lowrouter will not start with another version, because that would change the numbers '
        'under stored records.\n'
        f'- **data {s["data_hash"]}**: the first 8 hexadecimal digits of a SHA-256 hash over the data files '
        'listed below. Editing any of them changes the stamp, so a record always names the data it was computed '
        'with.'
    )
    with ui.row().classes('gap-x-4 gap-y-0 text-sm font-mono lr-data-files'):
        for name in s['files']:
            ui.label(name)


def ecologits_section() -> None:
    section('energy-ecologits', 'Energy, method (a): EcoLogits')
    anchor('formula')
    prose(
        f'[EcoLogits]({m.ECOLOGITS_DOCS}) models one LLM request bottom-up. lowrouter evaluates the same model, with '
        f'the constants of the pinned [package]({m.ECOLOGITS_PACKAGE}), in closed form; tests check it gives the '
        'same numbers as EcoLogits for every catalog model. For a model with *P* billion active and *T* billion '
        'total parameters:\n\n'
        '- **GPUs** *n*: the weights (1.2 × *T* × *Q* / 8 GB) over *M* GB per GPU, rounded up to a power of two.\n'
        '- **GPU energy per output token** (Wh) = *n* × (α × e^(β × *B*) × *P* + γ).\n'
        "- **Generation time** *t* (s) = output tokens / tps + TTFT, with EcoLogits' measured tokens per second "
        '(tps) and time to first token (TTFT) for the model when it ships them. Otherwise each token takes '
        'α′ × *P* + β′ × *B* + γ′ seconds and TTFT is 0.\n'
        "- **Measured latency caps the time**: when the request's latency was recorded, *t* = the smaller of that "
        'latency and the modelled time, as EcoLogits does.\n'
        "- **Server energy** (Wh) = *t* / 3 600 × *W* × 1 000 × (*n* / *S*) / *B*: the request's share of the "
        "server's non-GPU power.\n"
        '- **Energy** = PUE × (output tokens × GPU energy per token + server energy).\n'
        '- **Manufacturing** (g CO2e) = *t* × (*n* / *S* × *E_server* + *n* × *E_gpu*) / (*L* × *B*) × 1 000.'
    )
    card_table(
        m.ecologits_constants(),
        [('symbol', 'Symbol'), ('meaning', 'Meaning'), ('value', 'Value', 'unit')],
        mark='constants',
        cards=False,
    )
    sub('measured', "EcoLogits' measured throughput")
    prose(
        'These catalog models have measured tokens per second and time to first token in EcoLogits; their '
        'generation time uses them. ' + f'The others ({", ".join(m.without_measurements())}) use the latency '
        'regression above.'
    )
    card_table(
        m.measured_deployments(),
        [('model', 'Model'), ('tps', 'Tokens per second'), ('ttft', 'Time to first token (s)')],
        mark='measured',
        numeric={'tps', 'ttft'},
        cards=False,
    )
    sub('estimates', 'Parameter ranges')
    prose(
        'Closed models do not publish their size; EcoLogits gives a range of active and total parameters. Both '
        'methods are evaluated at the two ends: the low end of the range gives the low figure, the high end the '
        "high figure. Such records are marked *estimated*. Each model's parameters are in the "
        '[per-model table](#models).'
    )


def calibrated_section() -> None:
    c, long = m.calibration(), m.long_context()
    section('energy-calibrated', 'Energy, method (b): calibrated to published measurements')
    prose(
        f"Energy per output token = **c × P^a** Wh at PUE {c['reference_pue']}, scaled by the serving region's PUE "
        f"over {c['reference_pue']}. *P* is the model's active parameters in billions. A prompt token counts as a "
        'fixed fraction of an output token ([prompt tokens](#prompt-tokens)).\n\n'
        f'The line is a least-squares fit of log(Wh per token) on log(*P*) over the {c["fitted"]} *fit* rows of the '
        f'table below, computed from the data file each time lowrouter starts. The {c["checks"]} *check* rows are '
        'shown for comparison and are not fitted.'
    )
    with ui.row().classes('gap-x-6 gap-y-1 text-sm lr-fit'):
        fact('c', f'{c["c"]} Wh per token at 1B', 'fit-c')
        fact('a', c['a'], 'fit-a')
        fact('spread', f'×{c["spread"]}', 'fit-spread')
    prose(
        f'At 1B active parameters that is {c["c_1k"]} Wh per 1 000 output tokens. The spread is the largest ratio '
        'between a fitted reference and the line, either way; it widens every calibrated figure '
        '([range](#range)).'
    )
    sub('references', 'The published figures')
    card_table(
        m.reference_rows(),
        [
            ('source', 'Source', source_cell),
            ('boundary', 'What it counts'),
            ('tokens', 'Scenario', 'scenario'),
            ('figure', 'Reference', 'range_note'),
            ('fit', 'The fit', 'fit_note'),
            ('use', 'Role'),
        ],
        mark='references',
        numeric={'use'},
    )
    prose(
        'The fit treats a prompt token as a fixed fraction of an output token. That underestimates very long '
        f'contexts, whose attention cost grows faster than the number of tokens: for {long["source"]} '
        f'({long["prompt_tokens"]} prompt tokens) the fit gives {long["fit"]} Wh against {long["reference"]} Wh, '
        f'{long["times"]}× lower. Requests with very long prompts are underestimated too, the more so the longer '
        'the prompt.'
    )


def range_section() -> None:
    counts, w = t.method_counts(), m.widening()
    section('range', 'How the two methods make one range')
    prose(
        "- **Low** = the lower of the two methods' low ends.\n"
        '- **Central** = the calibrated estimate (b).\n'
        "- **High** = the higher of the two methods' high ends.\n\n"
        f'At 1 000 output tokens, the low end comes from EcoLogits for {counts["low_ecologits"]} of the '
        f'{counts["models"]} catalog models and from the calibrated estimate for the rest; the high end comes from '
        f'EcoLogits for {counts["high_ecologits"]} and from the calibrated estimate for the rest. EcoLogits '
        'assumes conservative batching, so it is the upper estimate for large and estimated models.\n\n'
        'What widens the range:\n\n'
        '- **Parameters**: a range of parameter counts is evaluated at both ends, in both methods.\n'
        f'- **Fit spread**: the calibrated low end is divided by {w["spread"]} and its high end multiplied by it.\n'
        f'- **Prompt tokens**: the low end counts them at factor {w["factor_low"]}, the high end at '
        f'{w["factor_high"]}.\n'
        "- **PUE**: the low end uses the lowest PUE of the region's recent years and the provider's fleet PUE, "
        f'the high end the highest; a provider not in the catalog gets {w["default_pue"]} '
        f'({w["default_pue_range"]}).\n'
        "- **Grid years**: the region's grid intensity runs from the lowest to the highest of its kept years "
        '([grid](#grid)).'
    )


def prompt_tokens_section() -> None:
    f = m.input_factor()
    section('prompt-tokens', 'Prompt tokens')
    prose(
        f'A prompt token counts as **{f["value"]}** of an output token (range {f["low"]} to {f["high"]}): '
        f"{f['unit']}. In method (a) a prompt token costs that fraction of an output token's marginal energy and "
        "hardware time; in method (b), that fraction of an output token's figure. Each record keeps the central "
        'energy of its prompt tokens separately.'
    )
    ui.label(f'Source: {f["source"]}.').classes('text-sm lr-muted lr-prose lr-factor-source')
