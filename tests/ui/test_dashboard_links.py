"""The dashboard links into /usage and /logs with its own filters, a transaction links back to the view it came
from (and never off the site), rows open from the keyboard, and an empty account gets a start guide."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from nicegui import ui
from nicegui.testing import User

from components.transactions import back_target, transaction_href
from components.view_state import View
from services import db
from services.keys.api_keys import create_key
from services.models import Generation
from tests.support import factories

MODELS = [
    'openai/gpt-4o',
    'openai/gpt-4o-mini',
    'openai/gpt-4.1',
    'openai/gpt-4.1-mini',
    'anthropic/claude-sonnet-4-5',
    'anthropic/claude-haiku-4-5',
    'google/gemini-2.5-flash',
]


def _seed() -> tuple[list[Generation], int]:
    """Seven models used today (two more than Usage today lists), half of them through one key; (generations,
    key id)."""
    now = datetime.now(UTC)
    with db.session_scope() as session:
        account = factories.account(session=session)
        key = create_key(session, account, name='web', scopes=['ingest']).key
        generations = [
            factories.generation(
                account,
                session=session,
                model=MODELS[i % len(MODELS)],
                prompt_tokens=100 * (i + 1),
                api_key_id=key.id if i % 2 else None,
                created_at=now - timedelta(seconds=5 * (14 - i)),
            )
            for i in range(14)
        ]
        return generations, key.id


def _href(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().props['href']


def _view(href: str, path: str) -> View:
    parts = urlsplit(href)
    assert parts.path == path, href
    view = View.from_query(dict(parse_qsl(parts.query)))
    assert not view.problems, href
    return view


async def test_the_cards_open_usage_and_logs_without_a_filter(user: User):
    _seed()
    await user.open('/dashboard')
    assert _view(_href(user, 'more-models'), '/usage') == View(range='today', metric='tokens', group='model')
    assert _view(_href(user, 'link-top-models'), '/usage') == View(range='30d', group='model')
    assert _view(_href(user, 'link-eco-impact'), '/usage') == View(range='30d', metric='carbon', group='model')
    assert _href(user, 'link-recent-transactions') == '/logs'
    await user.should_see('and 2 more models')
    await user.should_see('Open in Usage')
    await user.should_see('See over time')
    await user.should_see('View all')


async def test_every_link_keeps_the_dashboards_filters(user: User):
    _, key = _seed()
    model = 'openai/gpt-4o-mini'
    await user.open(f'/dashboard?model={model}&key={key}')
    await user.should_see('Showing only')
    # Usage today lists every model (a model in it filters the dashboard): its "more" link keeps only the key
    assert _view(_href(user, 'more-models'), '/usage') == View(range='today', key=key)
    assert _view(_href(user, 'link-top-models'), '/usage') == View(range='30d', model=model, key=key)
    assert _view(_href(user, 'link-eco-impact'), '/usage') == View(range='30d', metric='carbon', model=model, key=key)
    assert _view(_href(user, 'link-recent-transactions'), '/logs') == View(model=model, key=key)


async def test_clicking_a_bar_in_top_models_opens_usage_for_that_model(user: User, monkeypatch):
    _, key = _seed()
    await user.open(f'/dashboard?key={key}')
    opened: list[str] = []
    monkeypatch.setattr(user.navigate, 'to', opened.append)  # /usage is another page: only where it goes counts
    chart = user.find(ui.plotly)
    chart.trigger('plotly_click', {'points': [{'customdata': ['anthropic/claude-sonnet-4-5', '1k'], 'pointIndex': 0}]})
    chart.trigger('plotly_click', {'points': [{'customdata': ['not/a-model-shown-here']}]})  # ignored
    chart.trigger('plotly_click', {'points': 'nonsense'})  # ignored
    assert len(opened) == 1
    assert _view(opened[0], '/usage') == View(range='30d', model='anthropic/claude-sonnet-4-5', key=key)


async def test_a_model_in_usage_today_still_filters_the_dashboard(user: User):
    _seed()
    await user.open('/dashboard')
    user.find(marker='usage-openai/gpt-4.1').click()
    await user.should_see('Showing only')
    assert user.back_history[-1] == '/dashboard?model=openai%2Fgpt-4.1'


async def test_rows_take_the_focus_and_open_with_enter(user: User):
    _seed()
    await user.open('/dashboard')
    table = user.find(ui.table).elements.pop()
    body = table.slots['body'].template
    assert 'tabindex="0"' in body and '@keydown.enter' in body and "$emit('rowClick'" in body
    assert len(table.rows) == 14


async def test_a_row_of_a_filtered_dashboard_links_back_to_it(user: User):
    generations, key = _seed()
    await user.open(f'/dashboard?key={key}')
    here = f'/dashboard?key={key}'
    row = user.find(ui.table).elements.pop().rows[0]
    phone = ''.join(e.content for e in user.find(ui.html).elements)  # the phone's list links back the same way
    assert f'href="{transaction_href(row["id"], here)}"'.replace('&', '&amp;') in phone
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Routing trace')
    assert user.back_history[-1] == transaction_href(row['id'], here)
    link = user.find(marker='back-link').elements.pop()
    assert (link.text, link.props['href']) == ('← Dashboard', here)
    assert row['id'] in {g.id for g in generations if g.api_key_id == key}


async def test_the_back_link_of_an_unfiltered_dashboard_and_of_the_log(user: User):
    generations, _ = _seed()
    await user.open('/dashboard')
    row = user.find(ui.table).elements.pop().rows[0]
    user.find(ui.table).trigger('rowClick', [{}, row, 0])
    await user.should_see('Routing trace')
    assert user.back_history[-1] == f'/transactions/{row["id"]}'  # nothing to keep: a plain address
    link = user.find(marker='back-link').elements.pop()
    assert (link.text, link.props['href']) == ('← Dashboard', '/dashboard')
    await user.open(transaction_href(generations[0].id, '/logs?status=failed&model=openai%2Fgpt-4o'))
    link = user.find(marker='back-link').elements.pop()
    assert (link.text, link.props['href']) == ('← Logs', '/logs?status=failed&model=openai%2Fgpt-4o')


@pytest.mark.parametrize(
    'back',
    [
        'https://evil.example/dashboard',
        '//evil.example/dashboard',
        '/\\evil.example/dashboard',
        '/\\/evil.example',
        '\\\\evil.example',
        'javascript:alert(1)',
        '/dashboard\\..\\x',
        ' /dashboard',
        '/dashboard\n?x=1',
        '/dashboard\t',
        'dashboard',
        '/keys',
        '/dashboardx',
        '/dashboard/../keys',
        '/%2F%2Fevil.example',
        '/logs#frag',
        '/usage' + '?model=x' * 400,
        '',
    ],
)
async def test_an_unsafe_back_goes_to_the_dashboard(user: User, back: str):
    generations, _ = _seed()
    assert back_target(back) == ('/dashboard', '← Dashboard')
    await user.open(transaction_href(generations[0].id, back))
    link = user.find(marker='back-link').elements.pop()
    assert (link.text, link.props['href']) == ('← Dashboard', '/dashboard')


def test_safe_back_targets_are_kept_and_named():
    assert back_target('/usage?range=7d&group=provider') == ('/usage?range=7d&group=provider', '← Usage')
    assert back_target('/logs') == ('/logs', '← Logs')
    assert back_target('/dashboard?model=a%2Fb&key=3') == ('/dashboard?model=a%2Fb&key=3', '← Dashboard')
    assert back_target('/dashboard?model="><script>') == ('/dashboard?model=%22%3E%3Cscript%3E', '← Dashboard')
    assert back_target(None) == ('/dashboard', '← Dashboard')


async def test_an_empty_account_gets_a_start_guide(user: User):
    factories.account()
    await user.open('/dashboard')
    await user.should_see('Get started')
    await user.should_see('Credit balance')
    await user.should_see('Create an API key')
    await user.should_see('Send a first request')
    await user.should_see('Configure an upstream')
    assert user.find(marker='guide-keys').elements.pop().props['href'] == '/keys'
    curl = user.find(marker='guide-curl').elements.pop().text
    assert curl.startswith('curl http://test/api/v1/chat/completions')  # the address the browser used
    assert '"model": "lowrouter/auto"' in curl
    for absent in ('Usage today', 'Top models (last 30 days)', 'Eco impact', 'Recent transactions'):
        await user.should_not_see(absent)
    await user.should_not_see('Reduced confidence')
    await user.should_not_see('No usage in the last 30 days.')
    assert not _any(user, ui.plotly)  # no empty chart either


async def test_an_account_with_usage_gets_no_start_guide(user: User):
    _seed()
    await user.open('/dashboard')
    await user.should_see('Usage today')
    await user.should_not_see('Get started')
    await user.should_not_see(marker='start-guide')


async def test_usage_older_than_the_window_is_no_empty_account(user: User):
    with db.session_scope() as session:
        account = factories.account(session=session)
        factories.generation(account, session=session, created_at=datetime.now(UTC) - timedelta(days=45))
    await user.open('/dashboard')
    await user.should_see('Recent transactions')
    await user.should_not_see('Get started')


async def test_usage_and_logs_are_in_the_navigation_after_the_dashboard(user: User):
    factories.account()
    await user.open('/dashboard')
    for label in ('Usage', 'Logs'):
        await user.should_see(label, kind=ui.label)
    from components.shell import NAV

    assert [entry[0] for entry in NAV[:3]] == ['Dashboard', 'Usage', 'Logs']
    assert [entry[1] for entry in NAV[1:3]] == ['/usage', '/logs']


def _any(user: User, kind) -> bool:
    try:
        return bool(user.find(kind).elements)
    except AssertionError:
        return False
