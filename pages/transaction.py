"""/transactions/{id}: the full record of one generation, with its routing trace."""

from __future__ import annotations

from nicegui import ui

from components.pruned import pruned_notice
from components.shell import frame
from components.trace import routing_trace_card
from components.widgets import card
from services import db
from services.catalog import get_catalog
from services.models import Account, Generation
from services.money import format_money
from services.retention import was_pruned
from services.timeutil import format_local
from services.units import carbon_text, energy_text
from services.usage import get_generation, key_name


@ui.page('/transactions/{generation_id}')
def transaction_page(generation_id: str) -> None:
    with frame('Generation', active='Dashboard') as account:
        if account is None:
            ui.navigate.to('/welcome')
            return
        with db.read_scope() as session:
            generation = get_generation(session, account.id, generation_id)
            key = key_name(session, generation.api_key_id) if generation else None
            pruned = generation is None and was_pruned(account, generation_id, session=session)
        ui.link('← Dashboard', '/dashboard').classes('text-sm')
        if pruned:
            pruned_notice(account, generation_id)
            return
        if generation is None:
            _not_found(generation_id)
            return
        _heading(generation)
        with ui.element('div').classes('grid grid-cols-1 lg:grid-cols-3 gap-4 w-full'):
            _request_card(account, generation, key)
            _usage_card(generation)
            _eco_card(generation)
        routing_trace_card(generation.routing_trace)
        with ui.row().classes('items-center gap-2 text-sm lr-muted'):
            ui.icon('lock', size='18px')
            ui.label('Prompt and response content are not stored by lowrouter, so they cannot be shown here.')


def _heading(generation: Generation) -> None:
    with ui.row().classes('items-center gap-2 flex-wrap'):
        ui.label('Generation').classes('text-2xl font-semibold')
        ui.label(generation.id).classes('font-mono text-base bg-white border rounded px-2 py-1 lr-generation-id')
        ui.button(icon='content_copy', on_click=lambda: _copy(generation.id)).props(
            'flat round dense aria-label="Copy generation id"'
        ).tooltip('Copy the id')
        if generation.status != 'completed':
            ui.badge(generation.status, color='negative')


def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify('Generation id copied', type='positive', position='top')


def _request_card(account: Account, g: Generation, key: str | None) -> None:
    catalog = get_catalog()
    region = catalog.regions.get(g.region)
    provider = catalog.providers.get(g.provider)
    with card('Request'):
        _fact('Time', f'{format_local(g.created_at, account.timezone, seconds=True)} ({account.timezone})')
        _fact('Model', g.model if g.requested_model == g.model else f'{g.requested_model} → {g.model}')
        _fact('Provider', provider.name if provider else g.provider)
        _fact('Region', _region_text(region.name, g.region) if region else g.region)
        _fact('Latency', f'{g.latency_ms:,} ms' if g.latency_ms is not None else 'not reported')
        _fact('API key', key or 'none')


def _usage_card(g: Generation) -> None:
    with card('Tokens and cost'):
        _fact('Prompt tokens', f'{g.prompt_tokens:,}')
        _fact('Completion tokens', f'{g.completion_tokens:,}')
        _fact('Total tokens', f'{g.total_tokens:,}')
        _fact('Cost', format_money(g.cost_micros, g.currency, precise=True))


def _eco_card(g: Generation) -> None:
    with card('Energy and carbon', subtitle='estimated' if g.estimated else None):
        _fact('Energy', energy_text(g.energy_wh))
        if g.energy_wh_high > g.energy_wh_low:
            _fact('Energy range', f'{energy_text(g.energy_wh_low)} to {energy_text(g.energy_wh_high)}')
        _fact('Carbon', carbon_text(g.carbon_g))
        if g.carbon_g_high > g.carbon_g_low:
            _fact('Carbon range', f'{carbon_text(g.carbon_g_low)} to {carbon_text(g.carbon_g_high)}')
        _fact('Grid intensity', f'{g.grid_intensity_g_per_kwh:,.0f} g CO2e/kWh')
        with ui.row().classes('w-full justify-between text-sm gap-2'):
            ui.label('Methodology').classes('lr-muted')
            ui.link(g.methodology_version, '/eco/methodology').classes('text-right')
        if g.estimated:
            ui.label('The model size or the grid intensity behind this figure is an estimate.').classes(
                'text-xs lr-muted'
            )


def _region_text(name: str, region_id: str) -> str:
    return name if region_id in name else f'{name} ({region_id})'


def _fact(label: str, value: str) -> None:
    with ui.row().classes('w-full justify-between text-sm gap-2 flex-nowrap'):
        ui.label(label).classes('lr-muted shrink-0')
        ui.label(value).classes('text-right tabular-nums break-all')


def _not_found(generation_id: str) -> None:
    with ui.card().classes('lr-card w-full max-w-lg p-6 gap-3 lr-not-found'):
        ui.icon('search_off', size='40px').classes('text-slate-400')
        ui.label('No such generation').classes('text-xl font-semibold')
        ui.label(
            f'There is no generation "{generation_id}" in this account. Check the id, or find it among your '
            'recent transactions.'
        ).classes('lr-muted')
        ui.button('Back to the dashboard', on_click=lambda: ui.navigate.to('/dashboard')).props('no-caps')
