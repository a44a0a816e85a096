"""Top models (last 30 days): a horizontal Plotly bar chart, largest on top."""

from __future__ import annotations

import plotly.graph_objects as go
from nicegui import ui

from components.formatting import tokens_text
from components.widgets import card, model_name
from services.dashboard import UsageSummary
from services.models import Account
from services.money import format_money

PLOTLY_CONFIG = {'displayModeBar': False, 'responsive': True}
BAR_COLOUR = '#2e8b62'


def top_models_card(account: Account, summary: UsageSummary, *, limit: int = 6) -> ui.plotly | None:
    with card('Top models (last 30 days)', subtitle='by tokens'):
        if not summary.by_model:
            ui.label('No usage in the last 30 days.').classes('text-sm lr-muted')
            return None
        rows = list(reversed(summary.by_model[:limit]))  # plotly draws the first bar at the bottom
        figure = go.Figure(
            go.Bar(
                x=[r.tokens for r in rows],
                y=[model_name(r.model) for r in rows],
                orientation='h',
                marker_color=BAR_COLOUR,
                text=[tokens_text(r.tokens) for r in rows],
                textposition='auto',
                customdata=[[r.model, format_money(r.cost_micros, account.currency), f'{r.share:.1%}'] for r in rows],
                hovertemplate=(
                    '<b>%{customdata[0]}</b><br>%{x:,} tokens<br>%{customdata[1]}<br>%{customdata[2]} of all tokens'
                    '<extra></extra>'
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
                'title': {'text': 'Tokens', 'standoff': 6},
                'tickformat': '~s',
                'gridcolor': '#e4e7ec',
                'fixedrange': True,
            },
            yaxis={'automargin': True, 'fixedrange': True},
            bargap=0.25,
        )
        return plotly_chart(figure).classes('w-full lr-top-models')


def plotly_chart(figure: go.Figure) -> ui.plotly:
    """A chart without Plotly's mode bar (it covers titles on a phone)."""
    return ui.plotly({**figure.to_plotly_json(), 'config': PLOTLY_CONFIG})
