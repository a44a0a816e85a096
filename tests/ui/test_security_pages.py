"""Values from a URL or a form reach element props as data, never as a props string (NiceGUI `user` fixture)."""

from urllib.parse import quote

from nicegui import ui
from nicegui.testing import User

PAYLOAD = 'x" :title="window.__xss=1'


def evaluated_props(user: User) -> list[tuple[str, object]]:
    """Every prop the browser would evaluate as JavaScript (names starting with ':'), on every element."""
    return [(name, value) for e in user.client.elements.values() for name, value in e.props.items() if name[0] == ':']


async def test_the_login_page_keeps_url_values_out_of_props(user: User, monkeypatch):
    monkeypatch.setenv('LOWROUTER_DASHBOARD_PASSWORD', 'correct horse battery staple')
    await user.open(f'/login?error={quote(PAYLOAD)}&next={quote("/" + PAYLOAD)}')
    assert evaluated_props(user) == []  # before: {':title': 'window.__xss=1'} on the password field
    hidden = next(e for e in user.client.elements.values() if e.props.get('name') == 'next')
    assert hidden.props['value'] == '/dashboard'  # '/x" :title=…' is no path of this site
    password = user.find(ui.input).elements.pop()
    assert 'error-message' not in password.props  # text planted by a link is not shown


async def test_the_login_page_shows_its_own_messages_and_keeps_a_local_target(user: User):
    await user.open(f'/login?error={quote("That password is not right.")}&next=%2Fkeys%3Fx%3D1')
    password = user.find(ui.input).elements.pop()
    assert password.props['error'] is True and password.props['error-message'] == 'That password is not right.'
    hidden = next(e for e in user.client.elements.values() if e.props.get('name') == 'next')
    assert hidden.props['value'] == '/keys?x=1'


async def test_an_unknown_host_name_is_refused_in_process_too(user: User):
    assert (await user.http_client.get('/welcome', headers={'Host': 'rebind.attacker.example'})).status_code == 400
    assert (await user.http_client.get('/welcome')).status_code == 200  # the tests' own name, configured
