"""Sections of the shell that later work fills in; until then they say so plainly (no sample data)."""

from __future__ import annotations

from nicegui import ui

from components.shell import NAV, frame

UPCOMING = {
    '/routing': 'Defaults for lowrouter/auto and per-key overrides.',
}


def _register(path: str, label: str, blurb: str) -> None:
    @ui.page(path)
    def _page() -> None:
        with frame(label, active=label):
            ui.label(label).classes('text-2xl font-semibold')
            ui.label(f'{blurb} This section is coming soon.').classes('lr-muted')


for _label, _path, _icon in NAV:
    if _path in UPCOMING:
        _register(_path, _label, UPCOMING[_path])
