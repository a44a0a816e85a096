"""Eco impact: energy and carbon for the window against the chosen baseline, honest about uncertainty."""

from __future__ import annotations

from nicegui import ui

from components.formatting import carbon_text, energy_text
from components.widgets import card
from services.catalog import get_catalog
from services.eco_impact import CAVEATS, EcoImpact

WIDE_RANGE = 1.5  # show low-high when high/low exceeds this


def eco_impact_card(impact: EcoImpact) -> None:
    baseline = get_catalog().models[impact.baseline_model].name
    with card(f'Eco impact (last {impact.days} days)', subtitle='estimate'):
        with ui.row().classes('w-full gap-6'):
            _figure(energy_text(impact.energy_wh.value), 'energy', _range(impact.energy_wh, energy_text))
            _figure(carbon_text(impact.carbon_g.value), 'carbon', _range(impact.carbon_g, carbon_text))
        ui.label(_comparison(impact, baseline)).classes(f'text-sm lr-eco-verdict lr-eco-{impact.verdict}')
        if impact.reduced_confidence:
            with ui.row().classes('items-center gap-1 text-amber-800 text-sm lr-reduced-confidence'):
                ui.icon('info', size='18px')
                ui.label('Reduced confidence')
        if impact.caveats:
            with ui.column().classes('gap-0 text-xs lr-muted'):
                for code in impact.caveats:
                    ui.link(CAVEATS[code], f'/eco/methodology#{code.replace("_", "-")}').classes(
                        'lr-caveat text-slate-600'
                    )
        with ui.row().classes('gap-3 text-xs'):
            ui.link('Change baseline', '/settings#eco-baseline')
            ui.link('How this is computed', '/eco/methodology')


def _comparison(impact: EcoImpact, baseline: str) -> str:
    if impact.verdict == 'no_usage':
        return 'No usage in this window yet.'
    if impact.verdict == 'saved':
        return (
            f'You saved {carbon_text(impact.carbon_difference_g)} ({impact.carbon_difference_pct:.0f} %) '
            f'compared with {baseline}.'
        )
    if impact.verdict == 'used_more':
        return f'Your usage used {impact.energy_difference_pct:.0f} % more energy than {baseline} would have.'
    return f'About the same energy as {baseline} would have used (within 10 %).'


def _figure(value: str, label: str, detail: str | None) -> None:
    with ui.column().classes('gap-0'):
        ui.label(value).classes('text-xl font-semibold tabular-nums')
        ui.label(label + (f' · {detail}' if detail else '')).classes('text-xs lr-muted')


def _range(span, fmt) -> str | None:
    if span.low > 0 and span.high / span.low > WIDE_RANGE:
        return f'range {fmt(span.low)} to {fmt(span.high)}'
    return None
