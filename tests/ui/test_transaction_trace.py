"""/transactions/{id} of a fallen-back, a failed and a cancelled generation: the attempts with their outcomes in
words, candidates drawn by what really happened to them, time to first token, and estimated tokens."""

from __future__ import annotations

from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from services import db
from services.account.accounts import create_account, current_account
from services.catalog import get_catalog
from services.models import Generation
from services.money import column_decimals, format_amount, format_money
from services.usage.ingest import record_generation

MODEL = 'openai/gpt-4o-mini'
ZONE = 'Europe/Paris'
COOLING_UNTIL = '2026-01-15T13:30:00Z'  # 14:30 in Paris (CET, UTC+1)


def candidates(**status: tuple[str, str | None]) -> list[dict[str, Any]]:
    """The catalog's offers for MODEL as trace candidates; `status` maps a region to (status, excluded)."""
    rows = []
    for offer in get_catalog().offers_for(MODEL):
        state, excluded = status.get(offer.region.replace('-', '_'), ('considered', None))
        row = {
            'provider': offer.provider,
            'model': offer.model,
            'region': offer.region,
            'input_usd_per_mtok': str(offer.input_usd_per_mtok),
            'output_usd_per_mtok': str(offer.output_usd_per_mtok),
            'est_cost_usd': '0.00027',
            'carbon_g_per_1k_tokens': 0.4211,
            'latency_ms': offer.typical_latency_ms,
            'excluded': excluded,
            'status': state,
        }
        if excluded == 'cooling_off':
            row['cooling_off_until'] = COOLING_UNTIL
        rows.append(row)
    return rows


def trace(rows: list[dict[str, Any]], attempts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    picked = next((r for r in rows if r['status'] == 'picked'), rows[0])
    return {
        'requested_model': MODEL,
        'strategy': 'cheapest',
        'prefer_region': None,
        'fixed_provider': None,
        'candidates': rows,
        'picked': {k: picked[k] for k in ('provider', 'model', 'region')},
        'reason': 'the cheapest of 2 eligible offers',
        'attempts': attempts,
        **extra,
    }


def store(**fields: Any) -> Generation:
    """One generation of the only account (created on first use), recorded as the router records it."""
    with db.session_scope() as session:
        account = current_account(session) or create_account(session, name='Acme', timezone=ZONE)
        payload = {'model': MODEL, 'prompt_tokens': 812, 'completion_tokens': 240, 'latency_ms': 1830} | fields
        return record_generation(session, account, payload)[0]


def stored(generation_id: str) -> Generation:
    with db.session_scope() as session:
        return session.exec(select(Generation).where(Generation.id == generation_id)).one()


def text_of(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().text


def labels_in(user: User, marker: str) -> list[str]:
    row = user.find(marker=marker).elements.pop()
    return [element.text for element in row.descendants() if isinstance(element, ui.label)]


def icons_in(user: User, marker: str) -> list[str]:
    row = user.find(marker=marker).elements.pop()
    return [element.name for element in row.descendants() if isinstance(element, ui.icon)]


def trace_rows(user: User) -> dict[str, dict[str, Any]]:
    return {row['region']: row for row in user.find(ui.table).elements.pop().rows}


async def test_a_fallen_back_generation_shows_each_attempt_and_the_cooling_off_offer(user: User):
    rows = candidates(
        us_east_1=('failed', 'rate_limited: 429'),
        eastus2=('picked', None),
        uksouth=('excluded', 'cooling_off'),
    )
    attempts = [
        {'provider': 'openai', 'region': 'us-east-1', 'model': MODEL, 'outcome': 'rate_limited: 429', 'ms': 118,
         'retry_after_s': 2},
        {'provider': 'azure-openai', 'region': 'eastus2', 'model': MODEL, 'outcome': 'ok', 'ms': 1712},
    ]  # fmt: skip
    g = store(provider='azure-openai', region='eastus2', ttft_ms=340, routing_trace=trace(rows, attempts))
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Attempts')
    assert labels_in(user, 'attempt-1') == [
        '1.',
        'openai · us-east-1',
        MODEL,
        'Rate limited (429), asked to wait 2 s',
        '118 ms',
    ]
    assert text_of(user, 'attempt-1-outcome') == 'Rate limited (429), asked to wait 2 s'
    assert text_of(user, 'attempt-1-ms') == '118 ms'
    assert icons_in(user, 'attempt-1') == ['error']
    assert text_of(user, 'attempt-2-outcome') == 'Answered'
    assert text_of(user, 'attempt-2-ms') == '1,712 ms'
    assert icons_in(user, 'attempt-2') == ['check_circle']
    assert labels_in(user, 'attempt-2')[:2] == ['2.', 'azure-openai · eastus2']
    shown = trace_rows(user)
    assert (shown['us-east-1']['icon'], shown['us-east-1']['note']) == ('error', 'failed: Rate limited (429)')
    assert (shown['eastus2']['icon'], shown['eastus2']['note']) == ('check_circle', 'picked')
    assert shown['uksouth']['note'] == 'excluded: cooling off after repeated failures (until 14:30 Europe/Paris)'
    record = stored(g.id)
    assert text_of(user, 'ttft') == f'{record.ttft_ms:,} ms' == '340 ms'
    assert text_of(user, 'latency') == f'{record.latency_ms:,} ms'
    await user.should_not_see(marker='status-note')


@pytest.mark.parametrize('router', ['older', 'current'])
async def test_a_failed_generation_never_shows_its_last_offer_as_picked(user: User, router: str):
    """Older routers left the last offer tried 'picked' (a green check) when it failed too."""
    last = ('picked', None) if router == 'older' else ('failed', 'timeout')
    rows = candidates(us_east_1=('failed', 'upstream_error: 503'), eastus2=last)
    attempts = [
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': 'upstream_error: 503', 'ms': 412},
        {'provider': 'azure-openai', 'region': 'eastus2', 'outcome': 'timeout', 'ms': 30000},
    ]
    g = store(provider='azure-openai', region='eastus2', status='failed', cost='0', routing_trace=trace(rows, attempts))
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Attempts')
    shown = trace_rows(user)
    assert [row['icon'] for row in shown.values()].count('check_circle') == 0
    assert (shown['eastus2']['status'], shown['eastus2']['note']) == ('failed', 'failed: Timed out')
    assert shown['us-east-1']['note'] == 'failed: Server error 503'
    assert [text_of(user, f'attempt-{n}-outcome') for n in (1, 2)] == ['Server error 503', 'Timed out']
    assert icons_in(user, 'attempt-2') == ['error']
    assert text_of(user, 'attempt-2-ms') == '30,000 ms'
    assert stored(g.id).cost_micros == 0
    assert text_of(user, 'status-note') == (
        'Failed: none of the 2 attempts got an answer (the last: Timed out); nothing is charged.'
    )
    assert text_of(user, 'status-badge') == 'failed'
    await user.should_see('the request failed. The last offer tried was azure-openai in eastus2')


async def test_a_cancelled_stream_says_so_with_its_estimated_tokens_and_cost(user: User):
    rows = candidates(us_east_1=('picked', None))
    attempts = [{'provider': 'openai', 'region': 'us-east-1', 'model': MODEL, 'outcome': 'cancelled', 'ms': 1834}]
    g = store(
        provider='openai',
        region='us-east-1',
        status='cancelled',
        completion_tokens=57,
        latency_ms=1834,
        ttft_ms=212,
        cost='0.000156',
        routing_trace=trace(rows, attempts, tokens_estimated=True),
    )
    record = stored(g.id)
    await user.open(f'/transactions/{g.id}')
    cost = format_money(record.cost_micros, record.currency, precise=True)
    assert record.cost_micros == 156
    assert text_of(user, 'status-note') == (
        f'Cancelled: the client disconnected after 1,834 ms; the tokens streamed until then are charged ({cost}).'
    )
    assert text_of(user, 'status-badge') == 'cancelled'
    assert text_of(user, 'completion-tokens') == f'{record.completion_tokens:,}' == '57'
    assert text_of(user, 'tokens-estimated') == 'estimated'
    await user.should_see('Estimated from the streamed text')
    await user.should_see(cost)
    assert text_of(user, 'ttft') == '212 ms'
    assert text_of(user, 'attempt-1-outcome') == 'Client disconnected'
    assert icons_in(user, 'attempt-1') == ['do_not_disturb_on']
    assert trace_rows(user)['us-east-1']['icon'] == 'check_circle'  # it answered; the client left

    await user.open('/dashboard')
    table = user.find(ui.table).elements.pop()
    row = next(r for r in table.rows if r['id'] == g.id)
    assert row['model'] == f'{MODEL} (cancelled)'
    with db.session_scope() as session:  # the column's decimals: those of every cost it shows
        shown = session.exec(select(Generation.cost_micros).where(Generation.id.in_([r['id'] for r in table.rows])))
        decimals = column_decimals(shown.all(), record.currency)
    assert row['cost'] == format_amount(156, record.currency, decimals)


async def test_one_answered_attempt_has_no_attempts_section_and_older_traces_keep_their_ttft(user: User):
    rows = candidates(us_east_1=('picked', None))
    older = trace(rows, [{'provider': 'openai', 'region': 'us-east-1', 'outcome': 'ok'}], time_to_first_token_ms=95)
    g = store(provider='openai', region='us-east-1', routing_trace=older)
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Routing trace')
    assert stored(g.id).ttft_ms is None
    assert text_of(user, 'ttft') == '95 ms'
    await user.should_not_see(marker='attempts')
    await user.should_not_see(marker='tokens-estimated')
    assert text_of(user, 'completion-tokens') == '240'


async def test_every_outcome_in_words_and_foreign_attempts_still_draw(user: User):
    rows = candidates(us_east_1=('picked', None))
    attempts = [
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': 'connection_error'},
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': 'upstream_error: 502', 'ms': 'slow'},
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': 'rate_limited: 429', 'reason': 'quota used up'},
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': ['odd']},
        {'region': 'us-east-1', 'outcome': 'went sideways'},
        'not an attempt',
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': 'upstream_client_error: 400', 'ms': 90},
    ]
    g = store(provider='openai', region='us-east-1', status='failed', cost='0', routing_trace=trace(rows, attempts))
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Attempts')
    words = [text_of(user, f'attempt-{n}-outcome') for n in range(1, 7)]
    assert words == [
        'Could not connect',
        'Server error 502',
        'Rate limited (429)',
        "['odd']",
        'went sideways',
        'Rejected the request (400)',
    ]
    assert [icons_in(user, f'attempt-{n}')[0] for n in range(1, 7)] == [
        'error', 'error', 'error', 'help_outline', 'help_outline', 'error'
    ]  # fmt: skip
    await user.should_not_see(marker='attempt-2-ms')  # 'slow' is not a time
    await user.should_see('quota used up')
    await user.should_see('? · us-east-1')
    assert text_of(user, 'status-note') == (
        'Failed: the provider rejected the request (400), and its error went back to the client as is; '
        'nothing is charged.'
    )
    assert trace_rows(user)['us-east-1']['note'] == 'failed: Rejected the request (400)'


async def test_a_cooling_off_time_that_is_not_a_time_is_left_out(user: User):
    rows = candidates(us_east_1=('picked', None), eastus2=('excluded', 'cooling_off'))
    rows[1]['cooling_off_until'] = 'soon'
    g = store(
        provider='openai',
        region='us-east-1',
        routing_trace=trace(rows, [{'provider': 'openai', 'region': 'us-east-1', 'outcome': 'ok'}]),
    )
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Routing trace')
    assert trace_rows(user)['eastus2']['note'] == 'excluded: cooling off after repeated failures'


async def test_the_trace_reads_in_the_accounts_number_format(user: User):
    """de_DE: the attempts' times, the wait asked for and the candidates' latency and carbon use its separators."""
    with db.session_scope() as session:
        create_account(session, name='Acme', timezone=ZONE, locale='de_DE')
    rows = candidates(us_east_1=('failed', 'rate_limited: 429'), eastus2=('picked', None))
    attempts = [
        {'provider': 'openai', 'region': 'us-east-1', 'outcome': 'rate_limited: 429', 'ms': 1118, 'retry_after_s': 1.5},
        {'provider': 'azure-openai', 'region': 'eastus2', 'outcome': 'ok', 'ms': 12712},
    ]
    g = store(provider='azure-openai', region='eastus2', routing_trace=trace(rows, attempts))
    await user.open(f'/transactions/{g.id}')
    await user.should_see('Attempts')
    assert text_of(user, 'attempt-1-ms') == '1.118 ms' and text_of(user, 'attempt-2-ms') == '12.712 ms'
    assert text_of(user, 'attempt-1-outcome') == 'Rate limited (429), asked to wait 1,5 s'
    shown = trace_rows(user)
    offer = next(o for o in get_catalog().offers_for(MODEL) if o.region == 'eastus2')
    assert shown['eastus2']['carbon'] == '0,421'  # 0.4211 g per 1 000 tokens, three decimals
    prices = f'{offer.input_usd_per_mtok} / {offer.output_usd_per_mtok}'
    assert shown['eastus2']['price'] == prices.replace('.', ',') and ',' in prices.replace('.', ',')
    assert shown['eastus2']['latency'] == f'{offer.typical_latency_ms:,} ms'.replace(',', '.')
