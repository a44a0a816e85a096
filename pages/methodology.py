"""/eco/methodology: how every energy and carbon number is computed (eco-2), its sources, caveats and versions.

Every number on this page comes from services.eco.methodology and services.eco.methodology_tables, which read the code
and data that compute the records. Tables turn into one card per row on phones (CSS below, no JavaScript).
"""

from __future__ import annotations

from nicegui import ui

from components import methodology_energy as energy
from components.card_table import card_table
from components.methodology_blocks import anchor, disclosure_cell, prose, section, sub
from components.shell import frame
from services.eco import methodology as m
from services.eco import methodology_tables as t

CSS = """
.lr-method [id] { scroll-margin-top: 72px; }
.lr-method .lr-prose { max-width: 48rem; }
.lr-method .nicegui-markdown p, .lr-method .nicegui-markdown li { margin: 0.2rem 0; }
.lr-method .nicegui-markdown ul { padding-left: 1.2rem; list-style: disc; }
.lr-method .nicegui-markdown code { font-size: 0.85em; background: #eef2f0; padding: 0 3px; border-radius: 4px;
  overflow-wrap: anywhere; }
.lr-toc { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 0.875rem; }
.lr-caveat-rule { border-left: 4px solid #f1d48a; padding-left: 12px; margin: 4px 0; }
.lr-example { border-left: 4px solid #b9dcc9; padding-left: 12px; margin: 4px 0; }
"""

SECTIONS = [
    ('version', 'Current version'),
    ('energy-ecologits', 'Energy (a): EcoLogits'),
    ('energy-calibrated', 'Energy (b): calibrated'),
    ('range', 'One range from two methods'),
    ('prompt-tokens', 'Prompt tokens'),
    ('carbon', 'Carbon'),
    ('models', 'Every model'),
    ('baseline', 'Baseline and verdict'),
    ('not-counted', 'Not counted'),
    ('versions', 'Version history'),
]


@ui.page('/eco/methodology')
def methodology_page() -> None:
    with frame('Eco methodology', active=''), ui.column().classes('w-full gap-1 lr-method'):
        ui.add_css(CSS)
        ui.label('How lowrouter estimates energy and carbon').classes('text-2xl font-semibold')
        prose(
            'Each generation gets an energy figure in Wh and a carbon figure in g CO2e, both as a central value with '
            'a low–high range. This page shows every formula, constant, source and table behind them, read from the '
            'code and data that compute the records.'
        )
        with ui.element('nav').classes('lr-toc pt-1'):
            for target, title in SECTIONS:
                ui.link(title, f'#{target}')
        energy.version_section()
        energy.ecologits_section()
        energy.calibrated_section()
        energy.range_section()
        energy.prompt_tokens_section()
        _carbon()
        _models()
        _baseline()
        _not_counted()
        _versions()


def _carbon() -> None:
    fb = t.fallbacks()
    section('carbon', 'Carbon = electricity + manufacturing')
    prose(
        'Carbon (g CO2e) = energy (kWh) × the grid intensity (g CO2e/kWh) of the region that served the request '
        '+ the manufacturing share of the hardware. The low end uses the low energy, the lowest intensity of the '
        'kept years and the low manufacturing figure; the high end the high ones.'
    )
    sub('grid', 'Grid intensity and PUE per region')
    anchor('sources')
    prose(
        "The *basis* says where a figure comes from: **region** = the cloud region's own data; **zone** = another "
        'cloud region in the same Electricity Maps zone, named under *Source* (its PUE is not used: it describes '
        "another operator's building); **country** = the country average, for a region without grid data. The "
        'central intensity is that of the newest kept year (named under it); the low and high ends are the lowest '
        'and highest of the kept years.'
    )
    card_table(
        t.grid_table(),
        [
            ('region', 'Region', 'where'),
            ('intensity', 'g CO2e/kWh', 'intensity_note'),
            ('pue', 'PUE'),
            ('note', 'Source'),
        ],
        mark='grid',
        numeric={'intensity'},
    )
    for source in t.grid_sources():
        ui.label(f'Grid and PUE: {source}.').classes('text-xs lr-muted lr-prose')
    sub('pue', 'PUE per provider')
    prose(
        "The region's PUE applies only when the provider runs in that cloud's own data centres. Otherwise the "
        "provider's fleet PUE below applies."
    )
    card_table(
        t.provider_rows(),
        [('name', 'Provider', 'cloud'), ('pue', 'Fleet PUE'), ('source', 'Source')],
        mark='providers',
        numeric={'pue'},
        cards=False,
    )
    sub('fallback', 'When a region has no data')
    prose(
        f'- A catalog region without grid rows uses its country average from the regions file '
        f'({", ".join(fb["country_regions"]) or "none at present"}); its basis is *country*.\n'
        f"- An unknown or missing region uses EcoLogits' world average, {fb['world']} g CO2e/kWh; its basis is "
        '*world*.\n'
        f'- An unknown provider gets PUE {fb["default_pue"]} with a range of {fb["default_pue_range"]}.\n\n'
        'Records with a country or world basis are marked estimated and carry a [grid caveat](#grid-fallback).'
    )
    ex = m.embodied_example()
    sub('embodied', 'Manufacturing (embodied) carbon')
    prose(
        'From EcoLogits: the carbon of making the GPUs (*E_gpu* each) and the rest of the server (*E_server* per '
        "server of *S* GPUs) is spread over the hardware's lifespan *L*, shared by the *B* requests of a batch, and "
        'charged for the time *t* the request held the hardware (constants in [method (a)](#energy-ecologits)). '
        f'For example, EcoLogits models 1 000 output tokens of {ex["model"]} as {ex["seconds"]} s of generation '
        f'time, which gives {ex["g"]} g CO2e of manufacturing.'
    )


def _models() -> None:
    section('models', 'Every model')
    prose(
        f'Energy in Wh per 1 000 output tokens at PUE {m.calibration()["reference_pue"]}, without prompt tokens. '
        'The central figure is method (b); under the range, (a) or (b) says which method gives each end. '
        "*EcoLogits' own* is method (a) alone. The review band is the range a model of its tier should fall in; "
        "a figure outside it carries a caveat with the reason. A vendor's own figure is shown beside the estimate "
        'with what it counts: none is per 1 000 output tokens, so they are not directly comparable.'
    )
    card_table(
        t.model_rows(),
        [
            ('name', 'Model', 'params'),
            ('central', 'Central (Wh)', None),
            ('range', 'Range', 'range_note'),
            ('ecologits', "EcoLogits' own", None),
            ('band_text', 'Review band', 'why'),
            ('disclosures', 'Vendor figure', disclosure_cell),
        ],
        mark='models',
        numeric={'central', 'range', 'ecologits'},
    )


def _baseline() -> None:
    r = m.verdict_rules()
    section('baseline', 'The baseline comparison')
    prose(
        'The baseline answers "what would the same usage have used with model X?". For every provider, region and '
        'methodology version in the window, lowrouter estimates X on the same prompt and output tokens and the '
        'same number of requests, served by the same provider in the same region, with the **same methodology '
        'version as the actual records**. Only the model changes. Pick the baseline in '
        '[Settings → Eco baseline](/settings#eco-baseline).'
    )
    sub('verdict', 'The verdict')
    anchor('comparable')
    prose(
        'Energy and carbon are judged separately, each only beyond the uncertainty:\n\n'
        "- **You saved** (energy) or **You avoided** (carbon) appears only when the baseline's low end is above "
        'your high end.\n'
        "- **More** is said only when your low end is above the baseline's high end; above "
        f'{r["ratio_from"]} times it is said as a multiple ("3.2×"), below as a percentage.\n'
        "- When the two ranges overlap, the panel says your figure is **within the uncertainty** of the baseline's "
        'and gives the difference of the central estimates in brackets.\n'
        '- When energy and carbon point different ways, a third sentence says whether the grid of the regions or '
        'the manufacturing share made the difference.\n\n'
        f'What the panel says for three made-up windows (carbon at {m.EXAMPLE_G_PER_WH:g} g CO2e per Wh on both '
        'sides):'
    )
    for example in m.verdict_examples():
        with ui.column().classes('gap-0 lr-example lr-prose'):
            ui.label(f'{example["title"]}: your usage {example["actual"]}, baseline {example["baseline"]}').classes(
                'text-xs lr-muted'
            )
            ui.label(example['sentence']).classes('text-sm')
    sub('confidence', 'Caveats and reduced confidence')
    prose(
        'The panel shows *reduced confidence*, with the reasons, when any of these holds (except the two about '
        'methodology versions, which are notes). Each reason links here.'
    )
    for rule in m.caveat_rules():
        with ui.column().classes('gap-0 lr-caveat-rule lr-prose') as block:
            block.props['id'] = rule['anchor']
            ui.label(rule['when']).classes('text-sm')
            ui.label(f'Shown on {rule["where"]} as: "{rule["shown_as"]}"').classes('text-xs lr-muted')
    anchor('world-average-grid')


def _not_counted() -> None:
    section('not-counted', 'What is not counted')
    prose(
        '- **Network** transfer between you, lowrouter and the provider, and your **client devices**.\n'
        '- The **training** of the models; only inference is counted.\n'
        '- **Water** used for cooling and for electricity.\n'
        "- **Idle capacity** held in reserve, beyond what the calibrated references already include (Google's "
        'figure counts it; the others mostly do not).\n'
        '- **Hour-by-hour** variation of the grid: intensities are yearly averages.\n'
        '- The extra **attention cost of very long contexts** ([see above](#energy-calibrated)).'
    )


def _versions() -> None:
    s, h = m.stamp(), t.history_summary()
    section('versions', 'Version history')
    prose(
        f"**{s['legacy']}**: EcoLogits' model with its latency regression only (no measured throughput, no request "
        "latency), output tokens only, electricity only (no manufacturing), the provider's fleet PUE and the "
        'country average grid of the region.\n\n'
        f'**{s["version"]}** (current): two methods made into one range with the calibrated estimate as the '
        "central figure, EcoLogits' measured throughput and the request's latency, prompt tokens, manufacturing "
        "carbon, and each region's own grid and PUE."
    )
    sub('history-models', 'Energy per model, eco-1 and eco-2')
    prose(
        f'Wh per 1 000 output tokens, eco-1 at PUE {h["legacy_pue"]} and eco-2 at PUE {h["pue"]}. eco-2 is lower '
        f'for {h["lower"]} and higher for {h["higher"]} of the {h["models"]} models; the change runs from '
        f'{h["smallest"]} to {h["largest"]} (median {h["median"]}).'
    )
    card_table(
        t.model_history(),
        [
            ('name', 'Model'),
            ('eco1', 'eco-1 Wh', 'eco1_range'),
            ('eco2', 'eco-2 Wh', 'eco2_range'),
            ('change', 'Change'),
        ],
        mark='history-models',
        numeric={'eco1', 'eco2', 'change'},
        cards=False,
    )
    sub('history-grid', 'Grid intensity per region, eco-1 and eco-2')
    prose(
        "eco-1 used the country average of each region; eco-2 uses the region's own grid where there is data. "
        f'The intensity is lower for {h["cleaner"]} and higher for {h["dirtier"]} of the {h["regions"]} regions; '
        f'the change runs from {h["grid_smallest"]} to {h["grid_largest"]}.'
    )
    card_table(
        t.region_history(),
        [
            ('region', 'Region', 'where'),
            ('eco1', 'eco-1 g CO2e/kWh'),
            ('eco2', 'eco-2 g CO2e/kWh'),
            ('change', 'Change'),
        ],
        mark='history-grid',
        numeric={'eco1', 'eco2', 'change'},
        cards=False,
    )
    sub('recompute', 'Recomputing stored records')
    prose(
        f'Records stamped {s["legacy"]} stay readable, and their baseline comparison is still computed with eco-1, '
        'until they are recomputed. `python app.py eco-recompute` recomputes the stored records with the current '
        'methodology; each then carries the current stamp.'
    )
