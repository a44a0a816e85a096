"""The URL state of /usage and /logs: every choice survives a round trip through the query; bad values are
dropped and named, never raised."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest

from components.view_state import View


def _parsed(query: str) -> View:
    return View.from_query(dict(parse_qsl(urlsplit(query).query)))


def test_every_choice_round_trips_through_the_url():
    view = View(range='custom', start='2026-10-20', end='2026-11-05', metric='cost', group='region')
    view = view.changed(model='openai/gpt-4o', provider='azure', region='eu-west', key=7, status='failed')
    query = view.query()
    assert query.startswith('?range=custom&from=2026-10-20&to=2026-11-05&metric=cost&group=region')
    assert 'model=openai%2Fgpt-4o' in query
    assert _parsed(query) == view and _parsed(query).problems == ()


def test_defaults_leave_the_query_empty_and_changes_are_applied():
    assert View().query() == ''
    assert View(metric='cost').query(metric='tokens') == ''
    assert View(model='a').query(model=None, group='key') == '?group=key'
    assert View(model='a', key=0).filters() == {'model': 'a', 'key': 0}  # 0: recorded without a key


@pytest.mark.parametrize(
    ('params', 'words'),
    [
        ({'metric': 'latency'}, 'unknown metric'),
        ({'group': 'colour'}, 'unknown group'),
        ({'key': 'abc'}, 'not a key id'),
        ({'key': '99999999999999'}, 'not a key id'),
        ({'status': 'running'}, 'unknown status'),
        ({'model': 'x' * 500}, 'too long'),
    ],
)
def test_a_bad_value_is_dropped_and_named(params, words):
    view = View.from_query(params)
    assert len(view.problems) == 1 and words in view.problems[0]
    assert view.filters() == {} and (view.metric, view.group) == ('tokens', 'model')


def test_blank_values_are_no_choice():
    assert View.from_query({'range': ' ', 'model': '', 'key': '', 'status': ''}) == View()
