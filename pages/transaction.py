"""/transactions/{id}: the full record of one generation, with its routing trace. `?back=` is the local URL of the
view it was opened from (a filtered dashboard, the log, the usage explorer): its back link returns there.

A stream still in progress has its id but no record yet: the page says so and shows the record by itself once
it is stored (components/generation_live.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from nicegui import ui

from components.attempts import is_failure, outcome_words
from components.generation_live import Found, LiveGeneration, find_generation, in_progress_card
from components.pruned import pruned_notice
from components.shell import frame
from components.trace import routing_trace_card
from components.transactions import back_target
from components.widgets import card
from services import db, locales, units
from services.account.accounts import current_account
from services.catalog import get_catalog
from services.eco import estimate as eco
from services.models import Account, Generation
from services.money import format_money
from services.timeutil import format_local
from services.units import carbon_unit, count_text, energy_unit, fixed_text

GRID_BASIS = {  # a record's grid_basis in words (eco-1 records have none)
    'region': "the serving region's own grid",
    'zone': "the grid zone's average: no data for the region itself",
    'country': 'fell back to the country average: no regional data',
    'world': 'fell back to the world average: the region is unknown',
}


@ui.page('/transactions/{generation_id}')
def transaction_page(generation_id: str, back: str | None = None) -> None:
    with db.read_scope() as session:
        owner = current_account(session)
    found = find_generation(owner.id, generation_id) if owner is not None else None
    waiting = found is not None and found.state == 'waiting'  # the page then updates by itself
    with frame('Generation', active='Dashboard', live=waiting) as account:
        if account is None or found is None:
            ui.navigate.to('/welcome')
            return
        target, label = back_target(back)
        ui.link(label, target).classes('text-sm self-start').mark('back-link')
        LiveGeneration(generation_id, found, lambda shown: _content(shown, generation_id))


def _content(found: Found, generation_id: str) -> None:
    """The record, or what stands in for it: pruned, in progress (a stream not ended yet), or not found."""
    account, generation = found.account, found.generation
    if found.pruned:
        pruned_notice(account, generation_id)
        return
    if found.waiting is not None:
        in_progress_card(account, found.waiting)
        return
    if generation is None:
        _not_found(generation_id)
        return
    loc = locales.of(account)
    _heading(generation)
    _status_note(generation, loc)
    with ui.element('div').classes('grid grid-cols-1 md:grid-cols-2 gap-4 w-full'):
        _request_card(account, generation, found.key)
        _usage_card(generation, loc)
        _eco_card(generation, loc)
    routing_trace_card(generation.routing_trace, status=generation.status, timezone=account.timezone, locale=loc)
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
            colour = 'orange-10' if generation.status == 'cancelled' else 'negative'
            ui.badge(generation.status, color=colour).classes('text-sm px-2 py-1').mark('status-badge')


def _status_note(g: Generation, loc: str) -> None:
    """A failed or cancelled generation says so in a sentence, with what it costs."""
    if g.status not in ('failed', 'cancelled'):
        return
    if g.status == 'cancelled':
        icon, box, words = 'do_not_disturb_on', 'bg-amber-50 border-amber-200 text-amber-900', _cancelled_words(g, loc)
    else:
        icon, box, words = 'error', 'bg-red-50 border-red-200 text-red-900', _failed_words(g, loc)
    with ui.row().classes(f'w-full items-start gap-2 flex-nowrap text-sm rounded-lg border px-3 py-2 {box}'):
        ui.icon(icon, size='20px').classes('shrink-0')
        ui.label(words).mark('status-note')


def _cancelled_words(g: Generation, loc: str) -> str:
    after = f'after {count_text(g.latency_ms, loc)} ms' if g.latency_ms is not None else 'mid-stream'
    cost = format_money(g.cost_micros, g.currency, precise=True, locale=loc)
    charged = f'the tokens streamed until then are charged ({cost})' if g.cost_micros else 'nothing is charged'
    return f'Cancelled: the client disconnected {after}; {charged}.'


def _failed_words(g: Generation, loc: str) -> str:
    attempts = _trace(g).get('attempts')
    attempts = [a for a in attempts if isinstance(a, dict)] if isinstance(attempts, list) else []
    last = attempts[-1].get('outcome') if attempts else None
    if isinstance(last, str) and last.startswith('upstream_client_error'):
        code = last.partition(':')[2].strip() or 'an error'
        what = f'the provider rejected the request ({code}), and its error went back to the client as is'
    elif len(attempts) == 1 and is_failure(last):
        what = f'the one attempt got no answer ({outcome_words(last, locale=loc)})'
    elif attempts and is_failure(last):
        what = f'none of the {len(attempts)} attempts got an answer (the last: {outcome_words(last, locale=loc)})'
    else:
        what = 'the generation was recorded as failed'
    money = format_money(g.cost_micros, g.currency, precise=True, locale=loc)
    cost = f'{money} is charged' if g.cost_micros else 'nothing is charged'
    return f'Failed: {what}; {cost}.'


def _copy(text: str) -> None:
    ui.clipboard.write(text)
    ui.notify('Generation id copied', type='positive', position='top')


def _request_card(account: Account, g: Generation, key: str | None) -> None:
    catalog = get_catalog()
    region = catalog.regions.get(g.region)
    provider = catalog.providers.get(g.provider)
    loc = locales.of(account)
    with card('Request'):
        _fact('Time', f'{format_local(g.created_at, account.timezone, seconds=True)} ({account.timezone})')
        _fact('Model', g.model if g.requested_model == g.model else f'{g.requested_model} → {g.model}')
        _fact('Provider', provider.name if provider else g.provider)
        _fact('Region', _region_text(region.name, g.region) if region else g.region)
        _fact(
            'Latency',
            f'{count_text(g.latency_ms, loc)} ms' if g.latency_ms is not None else 'not reported',
            mark='latency',
        )
        if (ttft := _time_to_first_token(g)) is not None:
            _fact('Time to first token', f'{count_text(ttft, loc)} ms', mark='ttft')
        _fact('API key', key or 'none')


def _usage_card(g: Generation, loc: str) -> None:
    with card('Tokens and cost'):
        _fact('Prompt tokens', count_text(g.prompt_tokens, loc))
        if _trace(g).get('tokens_estimated') is True:
            _estimated_tokens(count_text(g.completion_tokens, loc))
        else:
            _fact('Completion tokens', count_text(g.completion_tokens, loc), mark='completion-tokens')
        _fact('Total tokens', count_text(g.total_tokens, loc))
        _fact('Cost', format_money(g.cost_micros, g.currency, precise=True, locale=loc))


def _estimated_tokens(tokens: str) -> None:
    why = (
        'Estimated from the streamed text: the provider sent no token count before the stream ended. '
        'The cost is computed from this estimate.'
    )
    with ui.row().classes('w-full justify-between text-sm gap-2 flex-nowrap'):
        ui.label('Completion tokens').classes('lr-muted shrink-0')
        with ui.row().classes('items-center gap-2 flex-nowrap'):
            ui.label('estimated').classes(
                'text-xs text-amber-900 bg-amber-50 border border-amber-200 rounded px-1'
            ).tooltip(why).mark('tokens-estimated')
            ui.label(tokens).classes('text-right tabular-nums').mark('completion-tokens')
    ui.label(why).classes('text-xs lr-muted')


def _time_to_first_token(g: Generation) -> int | None:
    """The stored time to first token of a stream; older records kept it in the trace."""
    if g.ttft_ms is not None:
        return g.ttft_ms
    value = _trace(g).get('time_to_first_token_ms')
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _trace(g: Generation) -> dict[str, Any]:
    return g.routing_trace if isinstance(g.routing_trace, dict) else {}


def _eco_card(g: Generation, loc: str) -> None:
    """Energy and carbon with their ranges and parts, and what they were computed with."""
    legacy = g.methodology_version == eco.LEGACY_VERSION
    with card('Energy and carbon', subtitle='estimated' if g.estimated else None).classes('md:col-span-2'):
        with ui.element('div').classes('grid grid-cols-1 lg:grid-cols-3 gap-x-8 gap-y-4 w-full'):
            with ui.column().classes('gap-1 min-w-0').mark('eco-energy'):
                _energy(g, legacy, loc)
            with ui.column().classes('gap-1 min-w-0').mark('eco-carbon'):
                _carbon(g, legacy, loc)
            with ui.column().classes('gap-1 min-w-0').mark('eco-basis'):
                _basis(g, legacy, loc)
        if legacy:
            with ui.row().classes('items-start gap-2 flex-nowrap text-sm text-amber-900').mark('eco-legacy'):
                ui.icon('history', size='18px').classes('text-amber-700 shrink-0 pt-[2px]')
                ui.label(
                    'Computed with eco-1: prompt tokens and manufacturing not counted. These figures are the '
                    'electricity of the output tokens only; recomputing with the current method adds the rest.'
                )
        elif g.estimated:
            ui.label('The model size, the grid intensity or the PUE behind these figures is an estimate.').classes(
                'text-xs lr-muted'
            )
        model = get_catalog().models.get(g.model)
        if not legacy and model is not None and (why := eco.band_status(model)[1]):
            ui.link(why, '/eco/methodology#outside-band').classes('text-xs text-amber-900').mark('eco-band')


def _energy(g: Generation, legacy: bool, loc: str) -> None:
    energy_text, energy_range_text = (
        partial(units.energy_text, locale=loc),
        partial(units.energy_range_text, locale=loc),
    )
    output_wh = g.energy_wh - g.input_energy_wh
    unit = energy_unit([g.energy_wh_low, g.energy_wh, g.energy_wh_high, g.input_energy_wh, output_wh])
    _total('Energy', energy_text(g.energy_wh, unit), energy_range_text(g.energy_wh_low, g.energy_wh_high, unit))
    if legacy:
        _fact('Output tokens', energy_text(g.energy_wh, unit), mark='energy-output')
        _fact('Prompt tokens', 'not counted (eco-1)', mark='energy-prompt')
        return
    _fact(
        f'Prompt tokens ({count_text(g.prompt_tokens, loc)})',
        energy_text(g.input_energy_wh, unit),
        mark='energy-prompt',
    )
    _fact(f'Output tokens ({count_text(g.completion_tokens, loc)})', energy_text(output_wh, unit), mark='energy-output')


def _carbon(g: Generation, legacy: bool, loc: str) -> None:
    carbon_text, carbon_range_text = (
        partial(units.carbon_text, locale=loc),
        partial(units.carbon_range_text, locale=loc),
    )
    electricity_g = g.carbon_g - g.embodied_g
    unit = carbon_unit([g.carbon_g_low, g.carbon_g, g.carbon_g_high, electricity_g, g.embodied_g])
    _total('Carbon', carbon_text(g.carbon_g, unit), carbon_range_text(g.carbon_g_low, g.carbon_g_high, unit))
    _fact('Electricity', carbon_text(electricity_g, unit), mark='carbon-electricity')
    if legacy:
        _fact('Manufacturing (embodied)', 'not counted (eco-1)', mark='carbon-embodied')
        return
    _fact('Manufacturing (embodied)', carbon_text(g.embodied_g, unit), mark='carbon-embodied')
    if g.embodied_g_high > g.embodied_g_low:
        ui.label(f'manufacturing range {carbon_range_text(g.embodied_g_low, g.embodied_g_high, unit)}').classes(
            'text-xs lr-muted self-end tabular-nums'
        )


def _basis(g: Generation, legacy: bool, loc: str) -> None:
    ui.label('Computed with').classes('text-sm font-semibold text-slate-800 leading-7')
    _fact('Grid intensity', f'{fixed_text(g.grid_intensity_g_per_kwh, 0, loc)} g CO2e/kWh', mark='grid-intensity')
    basis = GRID_BASIS.get(g.grid_basis or '')
    if basis is not None:
        ui.label(basis).classes('text-xs lr-muted self-end text-right').mark('grid-basis')
    if g.pue is not None:
        _fact('PUE (datacentre overhead)', fixed_text(g.pue, 2, loc), mark='pue')
    with ui.row().classes('w-full justify-between text-sm gap-2 flex-nowrap'):
        ui.label('Methodology').classes('lr-muted shrink-0')
        ui.link(g.methodology_version, '/eco/methodology').classes('text-right break-words min-w-0').mark('methodology')


def _total(label: str, value: str, span: str) -> None:
    with ui.row().classes('w-full items-baseline justify-between gap-2 flex-nowrap'):
        ui.label(label).classes('text-sm font-semibold text-slate-800')
        ui.label(value).classes('text-lg font-semibold tabular-nums text-right').mark(f'{label.lower()}-total')
    ui.label(f'range {span}').classes('text-xs lr-muted self-end tabular-nums').mark(f'{label.lower()}-range')


def _region_text(name: str, region_id: str) -> str:
    return name if region_id in name else f'{name} ({region_id})'


def _fact(label: str, value: str, *, mark: str | None = None) -> None:
    with ui.row().classes('w-full justify-between text-sm gap-2 flex-nowrap'):
        ui.label(label).classes('lr-muted shrink-0')
        shown = ui.label(value).classes('text-right tabular-nums break-all')
        if mark:
            shown.mark(mark)


def _not_found(generation_id: str) -> None:
    with ui.card().classes('lr-card w-full max-w-lg p-6 gap-3 lr-not-found'):
        ui.icon('search_off', size='40px').classes('text-slate-400')
        ui.label('No such generation').classes('text-xl font-semibold')
        ui.label(
            f'There is no generation "{generation_id}" in this account. Check the id, or find it among your '
            'recent transactions.'
        ).classes('lr-muted')
        ui.button('Back to the dashboard', on_click=lambda: ui.navigate.to('/dashboard')).props('no-caps')
