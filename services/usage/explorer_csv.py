"""The usage explorer's two CSV downloads (/usage): the chart's series and the table of groups, each exactly
as shown, in machine-readable cells (plain numbers, money as a six-place decimal, nothing a spreadsheet could
take for a formula)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from services.money import decimal_string
from services.usage.explorer import Exploration, chart_traces, metric_header
from services.usage.exports import safe_cell


def series_csv(exploration: Exploration) -> str:
    """The time series as the chart shows it: one line per bucket and stacked series (the largest groups, then
    "Other (n)" for the rest, whose key_id is empty), zeros included, the bucket's local start in ISO 8601 with
    its offset; money as a decimal, energy in Wh, carbon in g CO2e. The table's CSV has every group."""
    e = exploration
    key = e.group == 'key'
    header = ['bucket_start', e.group, *(['key_id'] if key else []), metric_header(e.metric, e.currency)]
    traces = chart_traces(e)
    lines = []
    for index, start in enumerate(e.buckets):
        for trace in traces:
            key_id = ['' if trace.value is None else trace.value] if key else []
            lines.append([start.isoformat(), trace.label, *key_id, _cell(trace.values[index], e.metric)])
    return _csv([header, *lines])


def table_csv(exploration: Exploration) -> str:
    """The table of groups: every group with its totals, share of the metric, previous period and change."""
    e = exploration
    key = e.group == 'key'
    head = metric_header(e.metric, e.currency)
    header = [
        e.group,
        *(['key_id'] if key else []),
        'requests',
        'tokens',
        f'cost ({e.currency})',
        'energy (Wh)',
        'carbon (g CO2e)',
        f'share of {e.metric} (%)',
        f'{head} previous period',
        f'change in {e.metric} (%)',
    ]
    lines = [
        [
            g.label,
            *([g.value] if key else []),
            g.requests,
            g.tokens,
            _cell(g.cost_micros, 'cost'),
            g.energy_wh,
            g.carbon_g,
            round(g.share * 100, 2),
            _cell(g.previous, e.metric),
            'new' if g.change is None and g.total else (None if g.change is None else round(g.change * 100, 1)),
        ]
        for g in e.groups
    ]
    return _csv([header, *lines])


def _cell(value, metric: str) -> int | float | Decimal:
    """A figure as a CSV cell: a number, never a text a spreadsheet could take for a formula; money as a
    decimal with six places."""
    if metric == 'cost':
        return Decimal(decimal_string(int(value)))
    if metric in ('energy', 'carbon'):
        return float(value)
    return int(value)


def _csv(lines: list[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    for line in lines:
        writer.writerow([safe_cell(cell) for cell in line])
    return out.getvalue()
