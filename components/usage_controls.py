"""The controls of /usage: range, metric, group-by and filters. Every change opens the page at its new URL, so
what is shown is always in the address bar (bookmarkable, shareable, and the back button steps back)."""

from __future__ import annotations

from collections.abc import Mapping

from nicegui import ui

from components.form_errors import show_error
from components.safe import set_props
from components.view_state import GROUPS, METRICS, STATUSES, View
from services.usage.ranges import PRESETS, DateRange, RangeError, resolve_range

FILTER_LABELS = {'model': 'Model', 'provider': 'Provider', 'region': 'Region', 'key': 'API key', 'status': 'Status'}
NOUNS = {'model': 'model', 'provider': 'provider', 'region': 'region', 'key': 'API key', 'status': 'status'}
PAGE = '/usage'


def go(view: View, **changes) -> None:
    """Open /usage showing `view` with `changes`."""
    ui.navigate.to(PAGE + view.query(**changes))


def problems_banner(problems: list[str]) -> None:
    """What the URL asked for that could not be shown, and what is shown instead."""
    if not problems:
        return
    with (
        ui.card().classes('w-full flex-row items-start gap-3 p-3 flex-nowrap bg-amber-50 border border-amber-300'),
        ui.column().classes('gap-1 min-w-0'),
    ):
        ui.label('Some of this link could not be used').classes('font-semibold text-amber-900')
        for problem in problems:
            ui.label(problem[:1].upper() + problem[1:] + '.').classes('text-sm text-amber-900 break-words').mark(
                'usage-problem'
            )


def view_controls(view: View, period: DateRange, options: Mapping[str, list[tuple[str | int, str]]]) -> None:
    """Range preset, custom dates, metric and group-by on one wrapping row, the filters below."""
    with ui.row().classes('w-full items-start gap-x-3 gap-y-2'):
        preset = (
            ui.select(PRESETS, value=period.preset, label='Range')
            .classes('lr-usage-range w-full sm:w-40')
            .mark('usage-range')
        )
        preset.props('dense outlined options-dense')
        preset.on_value_change(lambda e: _pick_preset(view, period, e.value))
        _custom_range(view, period)
        metric = ui.select(METRICS, value=view.metric, label='Metric').classes(
            'lr-usage-metric w-[calc(50%-6px)] sm:w-36'
        )
        metric.props('dense outlined options-dense').mark('usage-metric')
        metric.on_value_change(lambda e: go(view, metric=e.value))
        group = ui.select(GROUPS, value=view.group, label='Group by').classes(
            'lr-usage-group w-[calc(50%-6px)] sm:w-36'
        )
        group.props('dense outlined options-dense').mark('usage-group')
        group.on_value_change(lambda e: go(view, group=e.value))
    with ui.row().classes('w-full items-start gap-x-3 gap-y-2'):
        for name in FILTER_LABELS:
            _filter_select(view, name, options.get(name, []))


def filter_chips(view: View, labels: Mapping[str, str]) -> None:
    """The active filters as removable chips, and a link that clears them all."""
    active = view.filters()
    if not active:
        return
    with ui.row().classes('items-center gap-2 w-full'):
        ui.label('Showing only').classes('text-sm lr-muted')
        for name, value in active.items():
            text = f'{NOUNS[name]}: {labels.get(name, value)}'
            chip = ui.chip(text, icon='filter_alt', removable=True).classes('lr-filter-chip max-w-full')
            chip.props('color=green-1 text-color=green-10').mark(f'usage-chip-{name}')
            set_props(chip, aria_label=f'Remove the filter {text}')
            chip.on('remove', lambda n=name: go(view, **{n: None}))
        clear = ui.link('Clear filters', PAGE + view.query(**dict.fromkeys(active))).classes('text-sm')
        clear.mark('usage-clear-filters')


def _pick_preset(view: View, period: DateRange, preset: str) -> None:
    if preset == 'custom':  # the dates shown so far, as a custom range to edit
        go(view, range='custom', start=period.first.isoformat(), end=period.last.isoformat())
    elif preset != period.preset:
        go(view, range=preset, start=None, end=None)


def _custom_range(view: View, period: DateRange) -> None:
    with ui.row().classes('items-start gap-2 w-full sm:w-auto sm:flex-nowrap'):
        first = ui.input('From', value=period.first.isoformat()).props('dense outlined type=date stack-label')
        first.classes('lr-usage-from w-[calc(50%-4px)] sm:w-40').mark('usage-from')
        last = ui.input('To', value=period.last.isoformat()).props('dense outlined type=date stack-label')
        last.classes('lr-usage-to w-[calc(50%-4px)] sm:w-40').mark('usage-to')

        def apply() -> None:
            for field in (first, last):
                field.error = None
            try:
                chosen = resolve_range(period.zone, 'custom', first.value or None, last.value or None)
            except RangeError as error:
                show_error(error, {'from': first, 'to': last}, fallback=last, capitalize=True)
                return
            go(view, range='custom', start=chosen.first.isoformat(), end=chosen.last.isoformat())

        for field in (first, last):
            field.on('keydown.enter', apply)
        ui.button('Apply', on_click=apply).props('outline no-caps').classes('h-10 shrink-0 w-full sm:w-auto').mark(
            'usage-apply'
        )


def _filter_select(view: View, name: str, found: list[tuple[str | int, str]]) -> None:
    current = getattr(view, name)
    options: dict = {value: label for value, label in found}
    if name == 'status':
        options = {value: label for value, label in STATUSES.items()}
    if current is not None and current not in options:
        options[current] = str(current)  # a filter from the link that has no usage in this range
    select = ui.select(options, value=current, label=FILTER_LABELS[name], clearable=True, with_input=len(options) > 8)
    select.props('dense outlined options-dense').classes(f'lr-usage-filter-{name} w-[calc(50%-6px)] sm:w-48').mark(
        f'usage-filter-{name}'
    )
    select.on_value_change(lambda e: go(view, **{name: e.value}))
