"""The table of groups on /usage: each group's total of the metric, its share, its change against the previous
period, and its requests, tokens and cost. A row opens the page filtered by its group (a click, or Enter on a
focused row). On a phone the secondary columns are hidden."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from components.safe import set_props
from services.locales import DEFAULT
from services.money import format_total
from services.units import carbon_text, carbon_unit, count_text, energy_text, energy_unit, percent_text
from services.usage.explorer import Exploration, GroupTotal

CSS = """
.lr-usage-table-wrap { width: 100%; overflow-x: auto; }
.lr-usage-table { width: 100%; border-collapse: collapse; font-size: 0.875rem; }
.lr-usage-table th { text-align: left; font-weight: 600; color: #344054; background: #f2f4f7; padding: 6px 8px;
  white-space: nowrap; }
.lr-usage-table td { padding: 7px 8px; border-top: 1px solid #eaecf0; vertical-align: top; }
.lr-usage-table .lr-num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.lr-usage-table tbody tr { cursor: pointer; }
.lr-usage-table tbody tr:hover { background: #eef5f1; }
.lr-usage-table tbody tr:focus-visible { outline: 2px solid #1f6f50; outline-offset: -2px; background: #eef5f1; }
.lr-usage-table tfoot td { font-weight: 600; border-top: 2px solid #d0d5dd; }
.lr-usage-table .lr-group { overflow-wrap: break-word; }
.lr-usage-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.lr-usage-table .lr-phone-only { display: none; font-size: 0.75rem; color: #667085; }
@media (max-width: 639px) {
  .lr-usage-table .lr-secondary { display: none; }
  .lr-usage-table .lr-phone-only { display: block; }
}
"""
ARROWS = {1: '↑', -1: '↓', 0: '→'}


def groups_table(exploration: Exploration, on_pick: Callable[[str | int], None], colours: dict) -> None:
    """Every group of the range (not only the chart's eight), largest first, with a total row."""
    ui.add_css(CSS)
    metric = exploration.metric
    extras = [m for m in ('requests', 'tokens', 'cost') if m != metric]
    energy, carbon = _units(exploration)
    head = {'requests': 'Requests', 'tokens': 'Tokens', 'cost': f'Cost ({exploration.currency})'}
    metric_head = {
        **head,
        'energy': f'Energy ({energy})',
        'carbon': f'Carbon ({carbon})',
    }[metric]
    group_name = {'model': 'Model', 'provider': 'Provider', 'region': 'Region', 'key': 'API key', 'status': 'Status'}
    with (
        ui.element('div').classes('lr-usage-table-wrap'),
        ui.element('table').classes('lr-usage-table').mark('usage-table') as table,
    ):
        set_props(table, aria_label='Usage by ' + group_name[exploration.group].lower())
        with ui.element('thead'), ui.element('tr'):
            _th(group_name[exploration.group])
            _th(metric_head, numeric=True)
            _th('Share', numeric=True, secondary=True)
            _th('vs previous', numeric=True).mark('usage-change-head')
            for extra in extras:
                _th(head[extra], numeric=True, secondary=True)
        with ui.element('tbody'):
            for group in exploration.groups:
                _row(exploration, group, extras, colours.get(group.value), on_pick)
        with ui.element('tfoot'), ui.element('tr').mark('usage-total-row'):
            _td('Total')
            _td(value_text(exploration, exploration.total), numeric=True).mark('usage-total')
            _td(percent_text(1, 0, exploration.locale) if exploration.total else '–', numeric=True, secondary=True)
            _td(change_text(exploration.change, exploration.total, exploration.locale), numeric=True)
            totals = {
                'requests': sum(g.requests for g in exploration.groups),
                'tokens': sum(g.tokens for g in exploration.groups),
                'cost': sum(g.cost_micros for g in exploration.groups),
            }
            for extra in extras:
                _td(_extra_text(exploration, extra, totals[extra]), numeric=True, secondary=True)


def value_text(exploration: Exploration, value: int | float) -> str:
    """A figure of the metric as the table shows it: '$1.23', '12,345', '3.2 Wh' (one unit for the column)."""
    energy, carbon = _units(exploration)
    metric, loc = exploration.metric, exploration.locale
    if metric == 'cost':
        return _cost_text(exploration, int(value))
    if metric == 'energy':
        return energy_text(value, energy, locale=loc)
    if metric == 'carbon':
        return carbon_text(value, carbon, locale=loc)
    return count_text(int(value), loc)


def change_text(change: float | None, total: int | float, loc: str = DEFAULT) -> str:
    """'↑ 12.5%', '↓ 3.0%', 'new' (nothing in the previous period), '–' (nothing in either)."""
    if change is None:
        return 'new' if total else '–'
    direction = (change > 0) - (change < 0)
    return f'{ARROWS[direction]} {percent_text(abs(change), 1, loc)}'


def _row(
    exploration: Exploration,
    group: GroupTotal,
    extras: list[str],
    colour: str | None,
    on_pick: Callable[[str | int], None],
) -> None:
    with ui.element('tr').mark('usage-row') as row:
        set_props(row, tabindex='0', role='button', aria_label=f'Show only {group.label}')
        row.on('click', lambda v=group.value: on_pick(v))
        row.on('keydown.enter', lambda v=group.value: on_pick(v))
        with ui.element('td').classes('lr-group'):
            if colour:
                ui.element('span').classes('lr-usage-swatch').style(f'background: {colour}')
            ui.label(group.label).classes('inline')
            ui.label(f'{percent_text(group.share, 1, exploration.locale)} of the total').classes('lr-phone-only')
        _td(value_text(exploration, group.total), numeric=True)
        _td(percent_text(group.share, 1, exploration.locale), numeric=True, secondary=True)
        _td(change_text(group.change, group.total, exploration.locale), numeric=True).mark('usage-change')
        values = {'requests': group.requests, 'tokens': group.tokens, 'cost': group.cost_micros}
        for extra in extras:
            _td(_extra_text(exploration, extra, values[extra]), numeric=True, secondary=True)


def _extra_text(exploration: Exploration, metric: str, value: int) -> str:
    if metric == 'cost':
        return _cost_text(exploration, value)
    return count_text(value, exploration.locale)


def _cost_text(exploration: Exploration, micros: int) -> str:
    """A cost of the table: a total, in cents ('< $0.01' for a group too small for one)."""
    return format_total(micros, exploration.currency, locale=exploration.locale)


def _units(exploration: Exploration) -> tuple[str, str]:
    return (
        energy_unit([exploration.total] if exploration.metric == 'energy' else []),
        carbon_unit([exploration.total] if exploration.metric == 'carbon' else []),
    )


def _th(text: str, *, numeric: bool = False, secondary: bool = False) -> ui.element:
    with ui.element('th').classes(('lr-num ' if numeric else '') + ('lr-secondary' if secondary else '')) as cell:
        ui.label(text)
    return cell


def _td(text: str, *, numeric: bool = False, secondary: bool = False) -> ui.element:
    with ui.element('td').classes(('lr-num ' if numeric else '') + ('lr-secondary' if secondary else '')) as cell:
        ui.label(text)
    return cell
