"""Real Chromium, desktop and phone: the detail page of a fallen-back, a failed and a cancelled generation shows
each attempt with its outcome in words, nothing overflows, and the failed offer carries no green check."""

from __future__ import annotations

import pytest

from services import db
from services.account.accounts import create_account
from services.usage.ingest import record_generation
from tests.browser.conftest import DESKTOP, MOBILE, no_horizontal_overflow, screenshot, serve
from tests.conftest import fresh_database
from tests.ui.test_transaction_trace import MODEL, candidates, trace

FALLEN_BACK = {
    'provider': 'azure-openai',
    'region': 'eastus2',
    'ttft_ms': 340,
    'routing_trace': trace(
        candidates(
            us_east_1=('failed', 'rate_limited: 429'),
            eastus2=('picked', None),
            uksouth=('excluded', 'cooling_off'),
        ),
        [
            {'provider': 'openai', 'region': 'us-east-1', 'model': MODEL, 'outcome': 'rate_limited: 429', 'ms': 118,
             'retry_after_s': 2, 'reason': 'The provider asked us to slow down.'},
            {'provider': 'azure-openai', 'region': 'eastus2', 'model': MODEL, 'outcome': 'ok', 'ms': 1712},
        ],
    ),
}  # fmt: skip
FAILED = {
    'provider': 'azure-openai',
    'region': 'eastus2',
    'status': 'failed',
    'cost': '0',
    'prompt_tokens': 0,
    'completion_tokens': 0,
    'routing_trace': trace(
        candidates(us_east_1=('failed', 'upstream_error: 503'), eastus2=('picked', None)),  # as older routers left it
        [
            {'provider': 'openai', 'region': 'us-east-1', 'model': MODEL, 'outcome': 'upstream_error: 503', 'ms': 412},
            {'provider': 'azure-openai', 'region': 'eastus2', 'model': MODEL, 'outcome': 'timeout', 'ms': 30000},
        ],
    ),
}
CANCELLED = {
    'provider': 'openai',
    'region': 'us-east-1',
    'status': 'cancelled',
    'completion_tokens': 57,
    'latency_ms': 1834,
    'ttft_ms': 212,
    'cost': '0.000156',
    'routing_trace': trace(
        candidates(us_east_1=('picked', None)),
        [{'provider': 'openai', 'region': 'us-east-1', 'model': MODEL, 'outcome': 'cancelled', 'ms': 1834}],
        tokens_estimated=True,
    ),
}
CASES = {
    'fallback': (FALLEN_BACK, ['Rate limited (429), asked to wait 2 s', 'Answered']),
    'failed': (FAILED, ['Server error 503', 'Timed out']),
    'cancelled': (CANCELLED, ['Client disconnected']),
}


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    """The app on a database holding one generation per case; yields (base URL, {case: generation id})."""
    with fresh_database(tmp_path_factory.mktemp('attempts')) as url:
        db.init_db(url)
        ids = {}
        with db.session_scope() as session:
            account = create_account(session, name='Acme', timezone='Europe/Paris')
            for case, (fields, _) in CASES.items():
                payload = {'model': MODEL, 'prompt_tokens': 812, 'completion_tokens': 240, 'latency_ms': 1830}
                ids[case] = record_generation(session, account, payload | fields)[0].id
        server = serve(url, '--no-demo')
        yield next(server), ids
        server.close()


@pytest.mark.parametrize('case', list(CASES))
@pytest.mark.parametrize('viewport', [DESKTOP, MOBILE], ids=['desktop', 'mobile'])
def test_attempts_are_drawn_in_words(site, browser, viewport, case):
    base, ids = site
    phone = viewport is MOBILE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=2)
    page = context.new_page()
    page.goto(f'{base}/transactions/{ids[case]}')
    attempts = page.locator('.lr-attempt')
    attempts.first.wait_for()
    words = CASES[case][1]
    assert attempts.count() == len(words)
    for row, outcome in zip(attempts.all(), words, strict=True):
        assert row.get_by_text(outcome, exact=True).is_visible(), outcome
    assert no_horizontal_overflow(page)
    offers = page.locator('.lr-trace-phone' if phone else '.lr-trace-table')
    assert offers.is_visible()
    if case == 'failed':
        assert offers.locator('.text-green-700').count() == 0  # no green check on an offer that did not answer
    if not phone:  # on a wide screen an attempt is one line: offer, outcome and time side by side
        first = attempts.first
        tops = [first.get_by_text(t, exact=True).bounding_box()['y'] for t in (words[0], _ms(CASES[case][0]))]
        assert abs(tops[0] - tops[1]) < 4
    screenshot(page, f'transaction-attempts-{case}-{"mobile" if phone else "desktop"}')
    context.close()


def _ms(fields: dict) -> str:
    return f'{fields["routing_trace"]["attempts"][0]["ms"]:,} ms'
