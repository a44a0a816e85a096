"""The controls of /logs: the date range (presets and a custom range) and the filters, each kept in the URL.

Every change opens /logs with the new query, so the view can be bookmarked and shared; a custom range is
checked before it is opened, and a wrong one is said under its field.
"""

from __future__ import annotations

from datetime import UTC, datetime

from nicegui import ui

from components.view_state import STATUSES, View
from services.usage.logs import FilterChoices
from services.usage.ranges import PRESETS, DateRange, RangeError, resolve_range

PATH = '/logs'
ANY = ''  # the value of a filter's "all" choice


def open_view(view: View) -> None:
    ui.navigate.to(PATH + view.query())


def range_controls(view: View, period: DateRange, zone: str) -> None:
    """Presets in a select; "Custom range" shows two dates and an Apply button."""
    with ui.row().classes('items-start gap-2 flex-wrap w-full'):
        preset = (
            ui.select(PRESETS, value=period.preset, label='Date range')
            .props('outlined dense options-dense')
            .classes('w-44 max-sm:w-full')
            .mark('range')
        )
        with ui.row().classes('items-start gap-2 flex-wrap max-sm:w-full') as custom:
            start = (
                ui.input('From', value=period.first.isoformat())
                .props('outlined dense type=date')
                .classes('w-40 max-sm:grow')
                .mark('range-from')
            )
            end = (
                ui.input('To', value=period.last.isoformat())
                .props('outlined dense type=date')
                .classes('w-40 max-sm:grow')
                .mark('range-to')
            )
            ui.button('Apply', on_click=lambda: apply_custom()).props('unelevated no-caps').classes(
                'mt-1 max-sm:mt-0'
            ).mark('range-apply')
        custom.set_visibility(period.preset == 'custom')

    def apply_custom() -> None:
        start.error = end.error = None
        try:
            chosen = resolve_range(zone, 'custom', start.value or None, end.value or None, datetime.now(UTC))
        except RangeError as error:
            (end if error.field == 'to' else start).error = error.message
            return
        open_view(view.changed(range='custom', start=chosen.first.isoformat(), end=chosen.last.isoformat()))

    def preset_changed(value: str) -> None:
        if value == 'custom':
            custom.set_visibility(True)
            return
        open_view(view.changed(range=value, start=None, end=None))

    preset.on_value_change(lambda e: preset_changed(e.value))


def filter_controls(view: View, choices: FilterChoices) -> None:
    """A select per filter, its choices from what the account used in the range (the set value always)."""
    with ui.row().classes('items-start gap-2 flex-wrap w-full'):
        _select('model', 'Model', 'All models', choices.models, view)
        _select('provider', 'Provider', 'All providers', choices.providers, view)
        _select('region', 'Region', 'All regions', choices.regions, view)
        _select('key', 'API key', 'All keys', choices.keys, view)
        _select('status', 'Status', 'Any status', {s: STATUSES[s] for s in choices.statuses}, view)
        if view.filters():
            ui.button('Clear filters', icon='filter_alt_off', on_click=lambda: open_view(_cleared(view))).props(
                'flat no-caps dense'
            ).classes('mt-1').mark('clear-filters')


def _select(name: str, label: str, everything: str, values, view: View) -> None:
    options = {ANY: everything}
    options |= {str(k): v for k, v in values.items()} if isinstance(values, dict) else {str(v): str(v) for v in values}
    current = getattr(view, name)
    if current is not None and str(current) not in options:  # set by a link, though unused in the range
        options[str(current)] = str(current) if name != 'key' else f'key {current}'
    select = (
        ui.select(options, value=ANY if current is None else str(current), label=label)
        .props('outlined dense options-dense')
        .classes('w-44 max-sm:w-[calc(50%-0.25rem)]')
        .mark(f'filter-{name}')
    )

    def changed(value: str | None) -> None:
        chosen = None if value in (None, ANY) else (int(value) if name == 'key' else value)
        if chosen != current:
            open_view(view.with_filter(name, chosen))

    select.on_value_change(lambda e: changed(e.value))


def _cleared(view: View) -> View:
    return view.changed(model=None, provider=None, region=None, key=None, status=None)
