"""Top models (last 30 days): a horizontal Plotly bar chart, largest on top, by tokens or by carbon."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import plotly.graph_objects as go
from nicegui import ui
from nicegui.element import Element

from components.live import shared_render
from components.widgets import card
from services import locales
from services.catalog import display_name
from services.models import Account
from services.money import format_total
from services.units import carbon_text, carbon_unit, percent_text, plotly_separators, tokens_text
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
) -> TopModels:
    """The chart; with `usage_link` (a model, or None for all, to a /usage link) the header opens /usage and a
    click on a model's bar opens /usage filtered by that model. `show()` on the result puts new figures in
    place (the chosen metric stays)."""
    return TopModels(account, summary, limit, usage_link)


class TopModels:
    def __init__(
        self, account: Account, summary: UsageSummary, limit: int, usage_link: Callable[[str | None], str] | None
    ) -> None:
        self.account, self.summary, self.limit, self.usage_link = account, summary, limit, usage_link
        self.chart: ui.plotly | None = None
        self.toggle: ui.toggle | None = None
        link = ('Open in Usage', usage_link(None)) if usage_link else None
        with card('Top models (last 30 days)', link=link) as self.box:
            self.body = ui.column().classes('w-full gap-2 p-0')
        self._build()

    def show(self, account: Account, summary: UsageSummary) -> None:
        """New figures: the chart is updated in place; only a change to or from "no usage" rebuilds the body."""
        if summary == self.summary and account.currency == self.account.currency:
            return
        had = bool(self.summary.by_model)
        self.account, self.summary = account, summary
        if had and summary.by_model and self.chart is not None and self.toggle is not None:
            metric = self.toggle.value
            self.chart.update_figure(  # built once for every open page of this view
                shared_render(
                    summary, ('top-models', metric, self.limit, account.currency), lambda: self._drawn(metric)
                )
            )
            return
        self.body.clear()
        self._build()

    def _build(self) -> None:
        with self.body:
            if not self.summary.by_model:
                ui.label('No usage in the last 30 days.').classes('text-sm lr-muted')
                self.chart = self.toggle = None
                return
            self.toggle = ui.toggle(METRICS, value='tokens').props(
                'dense no-caps size=sm unelevated toggle-color=primary'
            )
            self.toggle.classes(
                'lr-metric-toggle self-end' if self.usage_link else 'absolute top-3 right-4 lr-metric-toggle'
            )
            self.chart = plotly_chart(self._figure('tokens')).classes('w-full lr-top-models')
            self.toggle.on_value_change(
                lambda e: self.chart and self.chart.update_figure(_with_config(self._figure(e.value)))
            )
            if self.usage_link:
                self.chart.on('plotly_click', lambda e: self._open(e.args), ['points'])

    def _drawn(self, metric: str) -> dict:
        return _with_config(self._figure(metric))

    def _figure(self, metric: str) -> go.Figure:
        return top_models_figure(self.account, self.summary.by_model, metric, self.limit)

    def _open(self, args: object) -> None:
        if self.usage_link:
            _open_model(args, {u.model for u in self.summary.by_model}, self.usage_link)


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
    loc = locales.of(account)
    label = (
        partial(tokens_text, locale=loc)
        if metric == 'tokens'
        else partial(carbon_text, unit=carbon_unit(r.carbon_g for r in rows), locale=loc)
    )
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
                    tokens_text(r.tokens, locale=loc),
                    format_total(r.cost_micros, account.currency, locale=loc),
                    percent_text(r.share, 1, loc),
                    carbon_text(r.carbon_g, locale=loc),
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
        separators=plotly_separators(loc),
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
    return Chart(_with_config(figure))


class Chart(ui.plotly):
    """ui.plotly, its figure (a dict, never changed once handed over) kept as it is.

    ui.plotly puts its figure into the element's props, which copy every nested dict and list of it into an
    observable one with a change handler each. For a live chart updated every second on many open pages that
    copy cost more than the rest of the page's update; the figure of a live page is shared by every open page
    of its view (components/live.py, shared_render) and never changed, so it needs no watching."""

    def update(self) -> None:
        dict.__setitem__(self._props, 'options', self._get_figure_json())  # not observed: see the class
        Element.update(self)


def _with_config(figure: go.Figure) -> dict:
    return {**figure.to_plotly_json(), 'config': PLOTLY_CONFIG}
