"""/usage: usage over time. A metric per hour, day or week of a date range in the account's time zone, stacked
by a group, with the groups' totals, shares and change against the period before; filters; CSV exports.

The whole view is in the URL (components/view_state.py): a bookmarked or shared link opens the same view.
"""

from __future__ import annotations

from nicegui import ui
from starlette.requests import Request

from components.shell import frame
from components.usage_chart import COLOURS, chart_title, usage_chart
from components.usage_controls import NOUNS, filter_chips, go, problems_banner, view_controls
from components.usage_table import change_text, groups_table, value_text
from components.view_state import FILTERS, View
from components.widgets import card
from services import db
from services.usage.explorer import Exploration, explore, filter_options, group_label
from services.usage.explorer_csv import series_csv, table_csv
from services.usage.ranges import DEFAULT_PRESET, PRESETS, RangeError, resolve_range

QUERY_FILTER = {'key': 'key_id'}  # the usage query's name of a view's filter, where it differs


@ui.page('/usage')
def usage_page(request: Request) -> None:
    view = View.from_query(request.query_params)
    with frame('Usage', active='Usage') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        problems = list(view.problems)
        try:
            period = resolve_range(account.timezone, view.range, view.start, view.end)
        except RangeError as error:
            problems.append(f'{error.message}: showing {PRESETS[DEFAULT_PRESET].lower()}')
            view = view.changed(range=None, start=None, end=None)
            period = resolve_range(account.timezone)
        filters = {QUERY_FILTER.get(name, name): value for name, value in view.filters().items()}
        with db.read_scope() as session:
            exploration = explore(session, account, period, view.metric, view.group, filters)
            found = filter_options(session, account, period)
            labels = {name: group_label(session, account, name, value) for name, value in view.filters().items()}
        options = {name: found[QUERY_FILTER.get(name, name)] for name in FILTERS}

        def pick(value: str | int | None) -> None:
            if value is None:
                ui.notify('“Other” holds several groups: pick one in the table below.')
                return
            go(view, **{view.group: value})

        ui.label('Usage over time').classes('text-2xl font-semibold')
        problems_banner(problems)
        with ui.card().classes('lr-card w-full p-4 gap-3'):
            view_controls(view, period, options)
            filter_chips(view, labels)
        _headline(exploration)
        colours = {g.value: COLOURS[i] for i, g in enumerate(exploration.groups[: len(COLOURS)])}
        with card(chart_title(exploration)).mark('usage-chart-card'):
            usage_chart(exploration, pick)
            if period.cut_note:
                ui.label(period.cut_note).classes('text-xs lr-muted').mark('usage-cut-note')
        with card(f'By {NOUNS[view.group]}').mark('usage-table-card'):
            with ui.row().classes('w-full justify-end gap-2 -mt-8 max-sm:mt-0'):
                _export_button('Export table CSV', 'usage-export-table', lambda: _download(exploration, 'table'))
                _export_button('Export series CSV', 'usage-export-series', lambda: _download(exploration, 'series'))
            if exploration.groups:
                groups_table(exploration, pick, colours)
            else:
                ui.label('No usage in this range with these filters.').classes('text-sm lr-muted')
            ui.label(
                f'Change against {exploration.period.previous().label}, the {period.days} '
                f'day{"s" if period.days != 1 else ""} before. Select a row to show only that '
                f'{NOUNS[view.group]}.'
            ).classes('text-xs lr-muted')


def _headline(exploration: Exploration) -> None:
    with ui.row().classes('items-baseline gap-x-3 gap-y-0 px-1'):
        ui.label(value_text(exploration, exploration.total)).classes('text-2xl font-semibold text-gray-900').mark(
            'usage-headline'
        )
        change = change_text(exploration.change, exploration.total, exploration.locale)
        ui.label(f'{exploration.metric} in {exploration.period.label} · {change} against the period before').classes(
            'text-sm lr-muted'
        )


def _export_button(text: str, marker: str, on_click) -> None:
    ui.button(text, icon='download', on_click=on_click).props('outline dense no-caps size=sm').mark(marker)


def _download(exploration: Exploration, what: str) -> None:
    period = exploration.period
    text = table_csv(exploration) if what == 'table' else series_csv(exploration)
    name = f'usage-{what}-{exploration.metric}-by-{exploration.group}-{period.first}-to-{period.last}.csv'
    ui.download.content(text.encode('utf-8'), name, 'text/csv')
