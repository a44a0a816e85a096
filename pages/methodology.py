"""/eco/methodology: how every energy and carbon number is computed, its sources, caveats and versions."""

from __future__ import annotations

from nicegui import ui

from components.shell import frame
from services import eco
from services.eco_impact import CAVEATS
from services.methodology import (
    ECOLOGITS_DOCS,
    VERSIONS,
    confidence_rules,
    model_constants,
    providers,
    regions,
)


@ui.page('/eco/methodology')
def methodology_page() -> None:
    with frame('Eco methodology', active=''), ui.column().classes('w-full max-w-3xl gap-1 lr-prose'):
        ui.label('How lowrouter estimates energy and carbon').classes('text-2xl font-semibold')
        ui.label(
            f'Current version: {eco.METHODOLOGY_VERSION}. Every record carries the version that computed it.'
        ).classes('lr-muted')
        _formula()
        _section('carbon', 'Carbon')
        ui.markdown(
            'Carbon (g CO2e) = energy (kWh) × the grid carbon intensity (g CO2e/kWh) of the region that served '
            'the request. The same function computes every figure on the platform: the dashboard, each '
            'transaction, the API and the baseline comparison.'
        )
        _estimates()
        _baseline()
        _confidence()
        _not_counted()
        _sources()
        _versions()


def _formula() -> None:
    c = model_constants()
    _section('formula', 'Energy of one generation')
    ui.markdown(
        f"""lowrouter uses the published EcoLogits model of LLM inference ([documentation]({ECOLOGITS_DOCS}),
EcoLogits {eco.ECOLOGITS_VERSION}, pinned so a stored number never changes under it):

- **GPU energy per output token** (Wh) = α · e^(β · B) · P + γ, where P is the model's active parameters in
  billions, B = {c['batch_size']} requests served together, α = {c['gpu_energy_alpha']:.4g},
  β = {c['gpu_energy_beta']:.4g}, γ = {c['gpu_energy_gamma']:.4g}.
- **GPUs needed** = the memory of the weights (1.2 × total parameters × {c['quantization_bits']} bits) over
  {c['gpu_memory_gb']} GB per GPU, rounded up to a power of two.
- **Server share**: generation time (per token α′ · P + β′ · B + γ′ seconds, α′ = {c['latency_alpha']:.4g},
  β′ = {c['latency_beta']:.4g}, γ′ = {c['latency_gamma']:.4g}) × {c['server_power_kw']} kW for a server of
  {c['server_gpus']} GPUs, in proportion to the GPUs used and divided among the batch.
- **Energy** = PUE of the provider's datacentres × (server share + GPUs × GPU energy) × output tokens.

Without a measured latency the model is linear in output tokens, so lowrouter evaluates it once per model,
provider and region at {eco.REFERENCE_TOKENS} tokens and scales it."""
    )


def _estimates() -> None:
    _section('estimates', 'Estimated sizes and ranges')
    ui.markdown(
        'Closed models do not publish their size. EcoLogits then gives a range of parameters; lowrouter computes '
        'the low and high ends of the range and shows the midpoint as the central value, with the range beside '
        'it wherever it is wide. Such records are marked *estimated*, and so are records from a region without a '
        'known grid intensity.'
    )


def _baseline() -> None:
    _section('baseline', 'The baseline comparison')
    ui.markdown(
        'The baseline answers "what would the same usage have cost the climate with model X?". lowrouter takes '
        "the completion tokens of the window per provider and region, and recomputes their energy with X's "
        'parameters, the **same provider PUE** and the **same grid intensity**: only the model changes. '
        '"You saved" appears only when the baseline needs more energy per token than your actual usage; when '
        'your usage needed more, the panel says so; within 10 % it calls them comparable. '
        'Pick the baseline in [Settings → Eco baseline](/settings#eco-baseline).'
    )


def _confidence() -> None:
    _section('confidence', 'When confidence is reduced')
    ui.markdown('The panel shows a *reduced confidence* mark, and lists the reasons inline, when:')
    for anchor, rule in confidence_rules().items():
        with ui.element('div').props(f'id={anchor}').classes('pl-3 border-l-4 border-amber-300 my-1 lr-caveat-rule'):
            title = CAVEATS.get(anchor.replace('-', '_'), '')
            ui.label(rule).classes('text-sm')
            if title:
                ui.label(f'Shown as: "{title}"').classes('text-xs lr-muted')


def _not_counted() -> None:
    _section('not-counted', 'What is not counted')
    ui.markdown(
        '- **Input (prompt) tokens**: the EcoLogits model counts generated tokens only; prompt processing is '
        'not in the energy figure.\n'
        '- **Network** transfer, **client devices**, and the **training** of the models.\n'
        '- **Manufacturing** of the hardware (embodied emissions) and water use: the carbon figure is from '
        'electricity only.\n'
        '- Grid intensity is a yearly country average, not the hour-by-hour mix.'
    )


def _sources() -> None:
    _section('sources', 'Sources')
    ui.label('Grid intensity per region').classes('font-medium pt-2')
    _table(
        regions(),
        [('id', 'Region'), ('name', 'Name'), ('country', 'Country'), ('intensity', 'g CO2e/kWh'), ('source', 'Source')],
    )
    ui.label('PUE per provider').classes('font-medium pt-4')
    _table(providers(), [('name', 'Provider'), ('pue', 'PUE'), ('source', 'Source')])
    ui.label(
        f'Model sizes: EcoLogits {eco.ECOLOGITS_VERSION} model data, with a source per model '
        '(listed by GET /api/v1/models).'
    ).classes('text-sm lr-muted pt-2')


def _versions() -> None:
    _section('versions', 'Version history')
    _table(VERSIONS, [('version', 'Version'), ('since', 'Since'), ('what', 'What it does')])


def _section(anchor: str, title: str) -> None:
    ui.label(title).props(f'id={anchor}').classes('text-lg font-semibold pt-5')


def _table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    ui.table(
        columns=[{'name': k, 'label': label, 'field': k, 'align': 'left'} for k, label in columns], rows=rows
    ).props('flat dense bordered wrap-cells hide-pagination :pagination="{rowsPerPage: 0}"').classes('w-full')
