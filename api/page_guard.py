"""Open dashboard tabs stop working when their session ends.

A NiceGUI tab keeps a websocket to the process that built it; the login gate only sees the page request.
So every event a tab sends (a click, a form submit) is checked against the session of the request that
built its page, and refused once that session is over (sign-out anywhere, or a changed password): the tab
is sent to /login instead. A sweep every few seconds also sends idle tabs there, once it has seen their
session over twice (not at once: the tab that signs out is itself navigating to /logout, and a redirect
sent to its old page in that moment would cut the navigation short).
"""

from __future__ import annotations

import asyncio
from typing import Any

from nicegui import Client, background_tasks, core, run

from services.account.auth import current_epoch, login_config, session_is_valid

PUBLIC_PAGES = ('/login',)
SWEEP_S = 2.0
_seen_ended: set[str] = set()


def install() -> None:
    """Wrap NiceGUI's socket event handler (once per process)."""
    original = core.sio.handlers['/']['event']
    if getattr(original, 'lowrouter_guarded', False):
        return

    def guarded_event(sid: str, msg: dict) -> Any:
        client = Client.instances.get(msg.get('client_id', ''))
        if client is not None and not may_act(client):
            client.open('/login')
            return None
        return original(sid, msg)

    guarded_event.lowrouter_guarded = True  # type: ignore[attr-defined]
    core.sio.on('event', guarded_event)


def may_act(client: Client) -> bool:
    if not login_config().enabled:
        return True
    try:
        request = client.request
    except RuntimeError:  # no page request behind this client
        return False
    return request.url.path.startswith(PUBLIC_PAGES) or session_is_valid(request.session)


def sweep() -> None:
    """Send to /login every connected tab whose session was already over at the previous sweep."""
    if not login_config().enabled:
        return
    ended = {c.id: c for c in list(Client.instances.values()) if c.has_socket_connection and not may_act(c)}
    for client_id in ended.keys() & _seen_ended:
        ended[client_id].open('/login')
    _seen_ended.clear()
    _seen_ended.update(ended)


def start_sweeping() -> None:
    background_tasks.create(_sweep_forever(), name='end tabs of ended sessions')


async def _sweep_forever() -> None:
    while True:
        await asyncio.sleep(SWEEP_S)
        if login_config().enabled:
            await run.io_bound(current_epoch)  # a fresh read off the event loop; sweep() then hits the cache
            sweep()
