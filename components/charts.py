"""Top models (last 30 days): a horizontal Plotly bar chart, largest on top, by tokens or by carbon."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import plotly.graph_objects as go
from nicegui import ui

from components.widgets import card
from services.catalog import display_name
from services.models import Account
from services.money import format_money
from services.units import carbon_text, carbon_unit, tokens_text
from services.usage.dashboard import ModelUsage, UsageSummary

PLOTLY_CONFIG = {'displayModeBar': False, 'responsive': True}
METRICS = {'tokens': 'Tokens', 'carbon': 'Carbon'}
COLOURS = {'tokens': '#2e8b62', 'carbon': '#5b7f95'}


def top_models_card(
    account: Account,
    summary: UsageSummary,
    *,
    limit: int = 6,
    usage_link: Callable[[str | None], str] | None = None,
) -> ui.plotly | None:
    """The chart; with `usage_link` (a model, or None for all, to a /usage link) the header opens /usage and a
    click on a model's bar opens /usage filtered by that model."""
    with card('Top models (last 30 days)', link=('Open in Usage', usage_link(None)) if usage_link else None):
        if not summary.by_model:
            ui.label('No usage in the last 30 days.').classes('text-sm lr-muted')
            return None
        toggle = ui.toggle(METRICS, value='tokens').props('dense no-caps size=sm unelevated toggle-color=primary')
        toggle.classes('lr-metric-toggle self-end' if usage_link else 'absolute top-3 right-4 lr-metric-toggle')
        chart = plotly_chart(top_models_figure(account, summary.by_model, 'tokens', limit)).classes(
            'w-full lr-top-models'
        )
        toggle.on_value_change(
            lambda e: chart.update_figure(_with_config(top_models_figure(account, summary.by_model, e.value, limit)))
        )
        if usage_link:
            models = {u.model for u in summary.by_model}
            chart.on('plotly_click', lambda e: _open_model(e.args, models, usage_link), ['points'])
        return chart


def _open_model(args: object, models: set[str], usage_link: Callable[[str | None], str]) -> None:
    """A click on a bar: its model (customdata[0]; only a model the chart shows) opens in /usage."""
    points = args.get('points') if isinstance(args, dict) else None
    point = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
    custom = point.get('customdata')
    model = custom[0] if isinstance(custom, list) and custom else None
    if isinstance(model, str) and model in models:
        ui.navigate.to(usage_link(model))


def top_models_figure(account: Account, usages: list[ModelUsage], metric: str, limit: int) -> go.Figure:
    key = (lambda u: u.tokens) if metric == 'tokens' else (lambda u: u.carbon_g)
    rows = list(reversed(sorted(usages, key=lambda u: (-key(u), u.model))[:limit]))  # first bar is drawn at the bottom
    label = tokens_text if metric == 'tokens' else partial(carbon_text, unit=carbon_unit(r.carbon_g for r in rows))
    figure = go.Figure(
        go.Bar(
            x=[key(r) for r in rows],
            y=[display_name(r.model) for r in rows],
            orientation='h',
            marker_color=COLOURS[metric],
            text=[label(key(r)) for r in rows],
            textposition='auto',
            customdata=[
                [
                    r.model,
                    tokens_text(r.tokens),
                    format_money(r.cost_micros, account.currency),
                    f'{r.share:.1%}',
                    carbon_text(r.carbon_g),
                ]
                for r in rows
            ],
            hovertemplate=(
                '<b>%{customdata[0]}</b><br>%{customdata[1]} tokens (%{customdata[3]} of all)<br>'
                '%{customdata[2]}<br>%{customdata[4]}<extra></extra>'
            ),
        )
    )
    figure.update_layout(
        height=max(150, 30 * len(rows) + 56),
        margin={'l': 4, 'r': 8, 't': 0, 'b': 36},
        paper_bgcolor='rgba(0,0,0,0)',
        plot_bgcolor='rgba(0,0,0,0)',
        font={'family': 'Roboto, sans-serif', 'size': 12, 'color': '#344054'},
        xaxis={
            'title': {'text': 'Tokens' if metric == 'tokens' else 'Carbon (g CO2e)', 'standoff': 6},
            'tickformat': '~s',
            'gridcolor': '#e4e7ec',
            'fixedrange': True,
        },
        yaxis={'automargin': True, 'fixedrange': True},
        bargap=0.25,
    )
    return figure


def plotly_chart(figure: go.Figure) -> ui.plotly:
    """A chart without Plotly's mode bar (it covers titles on a phone)."""
    return ui.plotly(_with_config(figure))


def _with_config(figure: go.Figure) -> dict:
    return {**figure.to_plotly_json(), 'config': PLOTLY_CONFIG}
