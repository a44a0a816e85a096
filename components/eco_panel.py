"""Eco impact: the window's energy and carbon next to the same usage with the chosen baseline, each with its
range, and the verdict sentence the API returns too."""

from __future__ import annotations

import functools
import re

from nicegui import ui

from components.live_slot import Labels, View
from components.widgets import card
from services import units
from services.eco.impact import EcoImpact, caveat_anchor, caveat_text
from services.units import count_text

NO_BREAK_HYPHEN = re.compile(r'(?<=\w)-(?=\w)')
TITLE = 'col-span-2 @md:col-span-1'  # a row's title: a line of its own in a narrow card


def eco_view(impact: EcoImpact) -> View:
    """The panel's shape (which rows, ranges, marks and caveats it has) and the texts of its figures, sentences
    and caveats (see components/live_slot.py): the figures move with every generation, the shape rarely."""
    c = impact.comparison
    spans = {'actual-energy': c.energy_wh, 'baseline-energy': c.baseline_energy_wh, 'actual-carbon': c.carbon_g,
             'baseline-carbon': c.baseline_carbon_g}  # fmt: skip
    partial = bool(c.requests) and c.requests < impact.requests
    shape = (
        impact.days,
        bool(c.requests),
        partial,
        c.baseline_name,
        tuple(span.high > span.low for span in spans.values()),
        impact.energy_verdict,
        impact.carbon_verdict,
        impact.reduced_confidence,
        tuple(impact.caveats),
    )
    texts = {'summary': unbroken(impact.summary)}
    loc = impact.locale
    kinds = (units.energy_text, units.energy_range_text, units.carbon_text, units.carbon_range_text)
    energy_text, energy_range_text, carbon_text, carbon_range_text = (functools.partial(f, locale=loc) for f in kinds)
    if c.requests:
        for name, span in spans.items():
            text, range_text = (
                (energy_text, energy_range_text) if name.endswith('energy') else (carbon_text, carbon_range_text)
            )
            texts[name] = text(span.value)
            if span.high > span.low:
                texts[f'{name}-range'] = range_text(span.low, span.high)
        texts['actual-embodied'], texts['baseline-embodied'] = (
            carbon_text(c.embodied_g.value),
            carbon_text(c.baseline_embodied_g.value),
        )
        if partial:
            texts['partial'] = (
                f'Compared: {count_text(c.requests, loc)} of {count_text(impact.requests, loc)} requests. '
                'The whole window used '
                f'{energy_text(impact.energy_wh.value)} and {carbon_text(impact.carbon_g.value)}.'
            )
    else:
        texts['energy'], texts['carbon'] = energy_text(impact.energy_wh.value), carbon_text(impact.carbon_g.value)
    for index, code in enumerate(impact.caveats):
        texts[f'caveat-{index}'] = caveat_text(impact, code)
    return shape, texts


def eco_impact_card(impact: EcoImpact, *, over_time: str | None = None) -> Labels:
    """The panel; `over_time` (a /usage link) puts "See over time" in its header."""
    compared = impact.comparison
    _, texts = eco_view(impact)
    labels: Labels = {}
    link = ('See over time', over_time) if over_time else None
    with card('Eco impact', subtitle=f'last {impact.days} days · estimate', link=link):
        if compared.requests:
            _comparison_grid(compared, texts, labels)
            if 'partial' in texts:
                labels['partial'] = ui.label(texts['partial']).classes('text-xs lr-muted lr-eco-partial')
        else:
            with ui.row().classes('w-full gap-6'):
                labels['energy'] = _figure(texts['energy'], 'energy')
                labels['carbon'] = _figure(texts['carbon'], 'carbon')
        labels['summary'] = ui.label(texts['summary']).classes(
            f'text-sm lr-eco-verdict lr-eco-energy-{impact.energy_verdict} lr-eco-carbon-{impact.carbon_verdict}'
        )
        if impact.reduced_confidence:
            with ui.row().classes('items-center gap-1 text-amber-800 text-sm lr-reduced-confidence'):
                ui.icon('info', size='18px')
                ui.label('Reduced confidence')
        if impact.caveats:
            with ui.column().classes('gap-0 text-xs lr-muted'):
                for index, code in enumerate(impact.caveats):
                    labels[f'caveat-{index}'] = ui.link(
                        texts[f'caveat-{index}'], f'/eco/methodology#{caveat_anchor(code)}'
                    ).classes(f'lr-caveat lr-caveat-{caveat_anchor(code)} text-slate-600')
        with ui.row().classes('gap-3 text-xs'):
            ui.link('Change baseline', '/settings#eco-baseline')
            ui.link('How this is computed', '/eco/methodology')
    return labels


def _comparison_grid(c, texts: dict[str, str], labels: Labels) -> None:
    """Rows energy, carbon and its manufacturing part; columns this window and the baseline on the same usage.
    A narrow card (a phone) puts each row's title on a line of its own above the two figures."""
    with ui.element('div').classes('w-full @container'):
        grid = ui.element('div').classes('lr-eco-grid grid grid-cols-2 gap-x-4 items-baseline')
    with grid.classes('@md:grid-cols-[auto_minmax(0,1fr)_minmax(0,1fr)]'):
        ui.label('').classes('@max-md:hidden')  # Quasar's own .hidden would win over @md:block
        ui.label('Your usage').classes('text-xs lr-muted')
        ui.label(f'{c.baseline_name}, same usage').classes('text-xs lr-muted lr-eco-baseline-name')
        _row('Energy', 'energy', texts, labels)
        _row('Carbon', 'carbon', texts, labels)
        ui.label('of which manufacturing').classes(f'{TITLE} text-xs lr-muted pt-1')
        for where in ('actual', 'baseline'):
            name = f'{where}-embodied'
            labels[name] = ui.label(texts[name]).classes(f'text-xs tabular-nums @md:pt-1 lr-eco-{name}')


def _row(title: str, quantity: str, texts: dict[str, str], labels: Labels) -> None:
    ui.label(title).classes(f'{TITLE} text-sm lr-muted pt-2 @md:pt-1')
    for where, size in (('actual', 'text-xl font-semibold'), ('baseline', 'text-base')):
        name = f'{where}-{quantity}'
        with ui.column().classes(f'gap-0 pt-1 lr-eco-{name}'):
            labels[name] = ui.label(texts[name]).classes(f'{size} tabular-nums leading-tight')
            if f'{name}-range' in texts:
                labels[f'{name}-range'] = ui.label(texts[f'{name}-range']).classes(
                    'text-xs lr-muted tabular-nums lr-eco-range'
                )


def unbroken(sentence: str) -> str:
    """The API's sentence as the panel shows it: no line break inside '37 %' or a name such as 'GPT-4o'."""
    return NO_BREAK_HYPHEN.sub('\u2011', sentence.replace(' %', '\u00a0%'))


def _figure(value: str, label: str) -> ui.label:
    with ui.column().classes('gap-0'):
        shown = ui.label(value).classes('text-xl font-semibold tabular-nums')
        ui.label(label).classes('text-xs lr-muted')
    return shown
