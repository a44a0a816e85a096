"""Eco impact: the window's energy and carbon next to the same usage with the chosen baseline, each with its
range, and the verdict sentence the API returns too."""

from __future__ import annotations

import re

from nicegui import ui

from components.widgets import card
from services.eco import estimate as eco
from services.eco.impact import EcoImpact, caveat_anchor, caveat_text
from services.units import carbon_range_text, carbon_text, energy_range_text, energy_text

NO_BREAK_HYPHEN = re.compile(r'(?<=\w)-(?=\w)')
TITLE = 'col-span-2 @md:col-span-1'  # a row's title: a line of its own in a narrow card


def eco_impact_card(impact: EcoImpact, *, over_time: str | None = None) -> None:
    """The panel; `over_time` (a /usage link) puts "See over time" in its header."""
    compared = impact.comparison
    link = ('See over time', over_time) if over_time else None
    with card('Eco impact', subtitle=f'last {impact.days} days · estimate', link=link):
        if compared.requests:
            _comparison_grid(compared)
            if compared.requests < impact.requests:
                ui.label(
                    f'Compared: {compared.requests:,} of {impact.requests:,} requests. The whole window used '
                    f'{energy_text(impact.energy_wh.value)} and {carbon_text(impact.carbon_g.value)}.'
                ).classes('text-xs lr-muted lr-eco-partial')
        else:
            with ui.row().classes('w-full gap-6'):
                _figure(energy_text(impact.energy_wh.value), 'energy')
                _figure(carbon_text(impact.carbon_g.value), 'carbon')
        ui.label(unbroken(impact.summary)).classes(
            f'text-sm lr-eco-verdict lr-eco-energy-{impact.energy_verdict} lr-eco-carbon-{impact.carbon_verdict}'
        )
        if impact.reduced_confidence:
            with ui.row().classes('items-center gap-1 text-amber-800 text-sm lr-reduced-confidence'):
                ui.icon('info', size='18px')
                ui.label('Reduced confidence')
        if impact.caveats:
            with ui.column().classes('gap-0 text-xs lr-muted'):
                for code in impact.caveats:
                    ui.link(caveat_text(impact, code), f'/eco/methodology#{caveat_anchor(code)}').classes(
                        f'lr-caveat lr-caveat-{caveat_anchor(code)} text-slate-600'
                    )
        with ui.row().classes('gap-3 text-xs'):
            ui.link('Change baseline', '/settings#eco-baseline')
            ui.link('How this is computed', '/eco/methodology')


def shown_terms(impact: EcoImpact) -> tuple:
    """What the panel shows of `impact`, as text: a live page redraws it only when this changes (the figures
    move with every generation, their three shown digits far less often)."""
    c = impact.comparison
    energy = tuple(energy_range_text(s.low, s.high) + energy_text(s.value) for s in (c.energy_wh, c.baseline_energy_wh))
    carbon = (c.carbon_g, c.embodied_g, c.baseline_carbon_g, c.baseline_embodied_g)
    return (
        impact.summary,
        impact.reduced_confidence,
        tuple(impact.caveats),
        c.baseline_name,
        energy,
        tuple(carbon_range_text(s.low, s.high) + carbon_text(s.value) for s in carbon),
        energy_text(impact.energy_wh.value),
        carbon_text(impact.carbon_g.value),
        (c.requests, impact.requests) if c.requests < impact.requests else bool(c.requests),
    )


def _comparison_grid(c) -> None:
    """Rows energy, carbon and its manufacturing part; columns this window and the baseline on the same usage.
    A narrow card (a phone) puts each row's title on a line of its own above the two figures."""
    with ui.element('div').classes('w-full @container'):
        grid = ui.element('div').classes('lr-eco-grid grid grid-cols-2 gap-x-4 items-baseline')
    with grid.classes('@md:grid-cols-[auto_minmax(0,1fr)_minmax(0,1fr)]'):
        ui.label('').classes('@max-md:hidden')  # Quasar's own .hidden would win over @md:block
        ui.label('Your usage').classes('text-xs lr-muted')
        ui.label(f'{c.baseline_name}, same usage').classes('text-xs lr-muted lr-eco-baseline-name')
        _row('Energy', c.energy_wh, c.baseline_energy_wh, energy_text, energy_range_text, 'energy')
        _row('Carbon', c.carbon_g, c.baseline_carbon_g, carbon_text, carbon_range_text, 'carbon')
        ui.label('of which manufacturing').classes(f'{TITLE} text-xs lr-muted pt-1')
        for span, where in ((c.embodied_g, 'actual'), (c.baseline_embodied_g, 'baseline')):
            ui.label(carbon_text(span.value)).classes(f'text-xs tabular-nums @md:pt-1 lr-eco-{where}-embodied')


def _row(title: str, actual: eco.Span, baseline: eco.Span, text, range_text, name: str) -> None:
    ui.label(title).classes(f'{TITLE} text-sm lr-muted pt-2 @md:pt-1')
    for span, where, size in ((actual, 'actual', 'text-xl font-semibold'), (baseline, 'baseline', 'text-base')):
        with ui.column().classes(f'gap-0 pt-1 lr-eco-{where}-{name}'):
            ui.label(text(span.value)).classes(f'{size} tabular-nums leading-tight')
            if span.high > span.low:
                ui.label(range_text(span.low, span.high)).classes('text-xs lr-muted tabular-nums lr-eco-range')


def unbroken(sentence: str) -> str:
    """The API's sentence as the panel shows it: no line break inside '37 %' or a name such as 'GPT-4o'."""
    return NO_BREAK_HYPHEN.sub('\u2011', sentence.replace(' %', '\u00a0%'))


def _figure(value: str, label: str) -> None:
    with ui.column().classes('gap-0'):
        ui.label(value).classes('text-xl font-semibold tabular-nums')
        ui.label(label).classes('text-xs lr-muted')
