"""/logs: every generation of a date range, newest first, filtered, searchable by id and exportable as CSV.

The query is the one of /usage (components/view_state.py): range, from, to, model, provider, region, key, status.
The count comes from the usage rollups; the rows from the generations, 50 a page (keyset-paged). While the page is
open, generations that arrive come on top by themselves (components/logs_live.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from nicegui import ui

from components.logs_controls import filter_controls, range_controls
from components.logs_export import export_button
from components.logs_live import LiveLog
from components.logs_search import search_box
from components.logs_table import LogTable
from components.shell import frame
from components.view_state import DEFAULT_GROUP, DEFAULT_METRIC, View
from services import db, locales
from services.timeutil import format_local
from services.units import count_text
from services.usage.logs import LogQuery, expected_rows, filter_choices, log_page
from services.usage.ranges import DEFAULT_PRESET, PRESETS, RangeError, resolve_range


@ui.page('/logs')
def logs_page(request: Request) -> None:
    with frame('Logs', active='Logs', live=True) as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        view = View.from_query(request.query_params)
        problems = list(view.problems)
        now = datetime.now(UTC)
        try:
            period = resolve_range(account.timezone, view.range, view.start, view.end, now)
        except RangeError as error:
            problems.append(f'{error.message}: showing {PRESETS[DEFAULT_PRESET].lower()}')
            view = view.changed(range=None, start=None, end=None)
            period = resolve_range(account.timezone, None, None, None, now)
        view = view.changed(metric=DEFAULT_METRIC, group=DEFAULT_GROUP)  # not used here: kept out of links
        query = LogQuery(
            period, model=view.model, provider=view.provider, region=view.region, key_id=view.key, status=view.status
        )
        back = '/logs' + view.query()
        with db.read_scope() as session:
            count = expected_rows(session, account.id, query)
            choices = filter_choices(session, account, period)
            first = log_page(session, account, query)

        with ui.row().classes('w-full items-end justify-between gap-x-4 gap-y-2 flex-wrap'):
            with ui.column().classes('gap-0'):
                ui.label('Logs').classes('text-2xl font-semibold')
                count_label = (
                    ui.label(generations_text(count, period.label, locales.of(account)))
                    .classes('text-sm lr-muted')
                    .mark('log-count')
                )
            name = f'generations-{period.first.isoformat()}-to-{period.last.isoformat()}.csv'
            set_export_count = export_button('/logs/export.csv' + view.query(), count, name, locales.of(account))
        for problem in problems:
            with ui.row().classes('items-center gap-2 text-sm text-amber-900 bg-amber-50 rounded px-3 py-2'):
                ui.icon('info', size='18px')
                ui.label(problem[0].upper() + problem[1:]).mark('view-problem')
        with ui.card().classes('lr-card w-full p-4 gap-3'):
            range_controls(view, period, account.timezone)
            filter_controls(view, choices)
            search_box(account, back)
        ui.label(f'Times in {account.timezone}. Newest first.').classes('text-xs lr-muted -mb-2')
        if account.pruned_before is not None and account.pruned_before > period.since:
            ui.label(
                f'Generations recorded before {format_local(account.pruned_before, account.timezone)} were deleted '
                'under the data-retention setting: they count in the number above but are no longer listed.'
            ).classes('text-sm lr-muted').mark('pruned-note')
        table = LogTable(account, query, back, first)

        def show_count(new_count: int) -> None:
            count_label.text = generations_text(new_count, period.label, locales.of(account))
            set_export_count(new_count)

        LiveLog(account, query, table, count, show_count, read_at=now)


def generations_text(count: int, period_label: str, loc: str) -> str:
    return f'{count_text(count, loc)} generation{"" if count == 1 else "s"} in {period_label}'
