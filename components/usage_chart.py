"""The usage-over-time chart of /usage: stacked bars of a metric per bucket and group, in the account's time zone.

The eight largest groups are drawn, the rest summed as one "Other" bar. A click on a bar or a legend entry
calls `on_pick` with the group's value (None for "Other"). Money goes to Plotly as decimal strings (Plotly
reads numeric strings), so no amount is ever a float here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from nicegui import ui

from components.charts import PLOTLY_CONFIG
from services.money import decimal_string, format_total
from services.units import (
    CARBON_UNITS,
    ENERGY_UNITS,
    carbon_text,
    carbon_unit,
    count_text,
    energy_text,
    energy_unit,
    plotly_separators,
)
from services.usage.explorer import Exploration, Trace, chart_traces

COLOURS = ('#2e8b62', '#5b7f95', '#b7791f', '#8e5ea2', '#3b82c4', '#c0583a', '#6b8e23', '#d4a72c')
OTHER_COLOUR = '#98a2b3'
BUCKET_WORDS = {'hour': 'per hour', 'day': 'per day', 'week': 'per week'}
METRIC_NAMES = {'requests': 'Requests', 'tokens': 'Tokens', 'cost': 'Cost', 'energy': 'Energy', 'carbon': 'Carbon'}
# the point's index and the trace's index: the rest of Plotly's event (its whole figure) stays in the browser
CLICK_JS = '(e) => e?.points?.length && emit({curve: e.points[0].curveNumber})'
LEGEND_JS = '(e) => emit({curve: e.curveNumber})'


def chart_unit(exploration: Exploration) -> str:
    """The unit of the chart's axis: the currency, 'Wh'/'kWh'/'mWh', 'g CO2e'/..., '' for counts."""
    values = [sum(v) for v in zip(*(t.values for t in chart_traces(exploration)), strict=True)] or [0]
    if exploration.metric == 'cost':
        return exploration.currency
    if exploration.metric == 'energy':
        return energy_unit(values)
    if exploration.metric == 'carbon':
        return carbon_unit(values)
    return ''


def chart_title(exploration: Exploration) -> str:
    """e.g. 'Cost (USD) per day, 3 Nov – 2 Dec 2026'."""
    name, unit = METRIC_NAMES[exploration.metric], chart_unit(exploration)
    return f'{name}{f" ({unit})" if unit else ""} {BUCKET_WORDS[exploration.period.bucket]}, {exploration.period.label}'


def usage_chart(exploration: Exploration, on_pick: Callable[[str | int | None], None]) -> ui.plotly | None:
    """The chart (None when the range has no usage: a line says so instead)."""
    if not exploration.groups:
        ui.label('No usage in this range with these filters.').classes('text-sm lr-muted').mark('usage-empty')
        return None
    traces = chart_traces(exploration)
    chart = ui.plotly({**figure(exploration, traces), 'config': PLOTLY_CONFIG}).classes('w-full lr-usage-chart')
    chart.mark('usage-chart')

    def pick(event) -> None:
        curve = (event.args or {}).get('curve')
        if isinstance(curve, int) and 0 <= curve < len(traces):
            on_pick(traces[curve].value)

    chart.on('plotly_click', pick, js_handler=CLICK_JS)
    chart.on('plotly_legendclick', pick, js_handler=LEGEND_JS)
    return chart


def figure(exploration: Exploration, traces: list[Trace]) -> dict:
    """The Plotly figure as a dict: a trace per group, x the buckets' local starts."""
    unit = chart_unit(exploration)
    x, hover_x = _x_values(exploration.buckets, exploration.period.bucket)
    data = []
    for i, trace in enumerate(traces):
        colour = OTHER_COLOUR if trace.value is None else COLOURS[i % len(COLOURS)]
        data.append(
            {
                'type': 'bar',
                'name': trace.label,
                'x': x,
                'y': [_y(v, exploration.metric, unit) for v in trace.values],
                'marker': {'color': colour},
                'customdata': [
                    [when, _text(v, exploration, unit)] for when, v in zip(hover_x, trace.values, strict=True)
                ],
                'hovertemplate': '<b>%{fullData.name}</b><br>%{customdata[0]}<br>%{customdata[1]}<extra></extra>',
            }
        )
    axis_title = METRIC_NAMES[exploration.metric] + (f' ({unit})' if unit else '')
    xaxis = {'gridcolor': 'rgba(0,0,0,0)', 'fixedrange': True, 'automargin': True}
    if exploration.period.bucket == 'hour':
        xaxis |= {'type': 'category', 'tickangle': 0, **_hour_axis(exploration.buckets, x)}
    else:
        xaxis |= {'type': 'date', 'tickformat': '%-d %b', 'hoverformat': '%a %-d %b %Y'}
        if len(x) <= 8:
            xaxis |= {'tickvals': x, 'ticktext': [_day_tick(s) for s in exploration.buckets]}
    return {
        'data': data,
        'layout': {
            'barmode': 'stack',
            'separators': plotly_separators(exploration.locale),
            'height': 380,
            'margin': {'l': 8, 'r': 8, 't': 8, 'b': 8},
            'paper_bgcolor': 'rgba(0,0,0,0)',
            'plot_bgcolor': 'rgba(0,0,0,0)',
            'font': {'family': 'Roboto, sans-serif', 'size': 12, 'color': '#344054'},
            'xaxis': xaxis,
            'yaxis': {
                'title': {'text': axis_title, 'standoff': 6},
                'gridcolor': '#e4e7ec',
                'fixedrange': True,
                'automargin': True,
                'rangemode': 'tozero',
                **_count_ticks(exploration.metric, traces),
            },
            'legend': {
                'orientation': 'h',
                'yanchor': 'top',
                'y': -0.12,
                'x': 0,
                'traceorder': 'normal',
                'itemclick': False,
                'itemdoubleclick': False,
                'font': {'size': 11},
            },
            'bargap': 0.15,
            'hoverlabel': {'namelength': -1},
        },
    }


def _x_values(buckets: list[datetime], bucket: str) -> tuple[list[str], list[str]]:
    """Axis values and hover texts of the buckets: hours as category labels (unique even on the day a clock goes
    back, when 02:00 comes twice), days and weeks as local dates."""
    if bucket != 'hour':
        dates = [b.date().isoformat() for b in buckets]
        hover = [
            f'Week of {b:%a} {b.day} {b:%b %Y}' if bucket == 'week' else f'{b:%a} {b.day} {b:%b %Y}' for b in buckets
        ]
        return dates, hover
    labels = [f'{b.day} {b:%b %H:%M}' for b in buckets]
    repeated = {label for label in labels if labels.count(label) > 1}
    labels = [f'{label} {b.tzname()}' if label in repeated else label for label, b in zip(labels, buckets, strict=True)]
    hover = [f'{b:%a} {b.day} {b:%b %Y, %H:%M} {b.tzname()}' for b in buckets]
    return labels, hover


def _hour_axis(buckets: list[datetime], x: list[str]) -> dict:
    """Labels every 1, 2, 3, 4, 6 or 12 hours (six at most, so they do not run into each other on a phone):
    '06:00', with the day under the first of each day."""
    step = next((s for s in (1, 2, 3, 4, 6, 12) if len(buckets) / s <= 6), 24)
    ticks = [i for i, b in enumerate(buckets) if b.hour % step == 0 and b.minute == buckets[0].minute] or [0]
    vals, texts, days = [], [], set()
    for i in ticks:
        start = buckets[i]
        vals.append(x[i])
        texts.append(f'{start:%H:%M}' + ('' if start.date() in days else f'<br>{start:%a} {start.day} {start:%b}'))
        days.add(start.date())
    return {'tickvals': vals, 'ticktext': texts}


def _day_tick(start: datetime) -> str:
    return f'{start.day}<br>{start:%b}'


def _count_ticks(metric: str, traces: list[Trace]) -> dict:
    """Whole numbers on the axis of counts: a tick per unit up to 10, '12k' from 10 000."""
    if metric not in ('requests', 'tokens'):
        return {}
    highest = max((sum(column) for column in zip(*(t.values for t in traces), strict=True)), default=0)
    if highest < 10:
        return {'dtick': 1, 'tickformat': ',d'}
    return {'tickformat': '~s' if highest >= 10_000 else ',d'}


def _y(value: int | float, metric: str, unit: str) -> int | float | str:
    if metric == 'cost':
        return decimal_string(int(value))
    if metric == 'energy':
        return value / ENERGY_UNITS[unit]
    if metric == 'carbon':
        return value / CARBON_UNITS[unit]
    return value


def _text(value: int | float, exploration: Exploration, unit: str) -> str:
    metric, loc = exploration.metric, exploration.locale
    if metric == 'cost':  # a bucket's total: in cents, like every total ('< $0.01' when under a cent)
        return format_total(int(value), exploration.currency, locale=loc)
    if metric == 'energy':
        return energy_text(value, unit, locale=loc)
    if metric == 'carbon':
        return carbon_text(value, unit, locale=loc)
    return f'{count_text(int(value), loc)} {metric}'
