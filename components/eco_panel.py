"""Eco impact: energy and carbon for the window against the chosen baseline, honest about uncertainty."""

from __future__ import annotations

from nicegui import ui

from components.widgets import card
from services.catalog import get_catalog
from services.eco_impact import CAVEATS, EcoImpact, caveat_anchor, verdict_sentence
from services.units import carbon_text, energy_text

WIDE_RANGE = 1.5  # show low-high when high/low exceeds this


def eco_impact_card(impact: EcoImpact) -> None:
    baseline = get_catalog().models[impact.baseline_model].name
    with card('Eco impact', subtitle=f'last {impact.days} days · estimate'):
        with ui.row().classes('w-full gap-6'):
            _figure(energy_text(impact.energy_wh.value), 'energy', _range(impact.energy_wh, energy_text))
            _figure(carbon_text(impact.carbon_g.value), 'carbon', _range(impact.carbon_g, carbon_text))
        ui.label(verdict_sentence(impact, baseline)).classes(f'text-sm lr-eco-verdict lr-eco-{impact.verdict}')
        if impact.verdict != 'no_usage':
            ui.label(
                f'{baseline} on the same tokens and regions: {energy_text(impact.baseline_energy_wh.value)}, '
                f'{carbon_text(impact.baseline_carbon_g.value)}'
            ).classes('text-xs lr-muted lr-eco-baseline-figures')
        if impact.reduced_confidence:
            with ui.row().classes('items-center gap-1 text-amber-800 text-sm lr-reduced-confidence'):
                ui.icon('info', size='18px')
                ui.label('Reduced confidence')
        if impact.caveats:
            with ui.column().classes('gap-0 text-xs lr-muted'):
                for code in impact.caveats:
                    ui.link(CAVEATS[code], f'/eco/methodology#{caveat_anchor(code)}').classes(
                        'lr-caveat text-slate-600'
                    )
        if len(impact.methodology_versions) > 1:
            ui.label('Computed with ' + ', '.join(impact.methodology_versions)).classes('text-xs lr-muted')
        with ui.row().classes('gap-3 text-xs'):
            ui.link('Change baseline', '/settings#eco-baseline')
            ui.link('How this is computed', '/eco/methodology')


def _figure(value: str, label: str, detail: str | None) -> None:
    with ui.column().classes('gap-0'):
        ui.label(value).classes('text-xl font-semibold tabular-nums')
        ui.label(label + (f' · {detail}' if detail else '')).classes('text-xs lr-muted')


def _range(span, fmt) -> str | None:
    if span.low > 0 and span.high / span.low > WIDE_RANGE:
        return f'range {fmt(span.low)} to {fmt(span.high)}'
    return None
