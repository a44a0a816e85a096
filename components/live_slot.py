"""A place on a live page (components/live.py) whose content is drawn again only when its data changed.

The redraw happens in one update to the browser (cleared and drawn in the same round), so there is no empty
moment, and the rest of the page (scroll position, open dialogs and menus, fields being typed in) stays as
it is. The dashboard's cards do the same in components/landing_live.py.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from nicegui import ui

T = TypeVar('T')


class LiveSlot(Generic[T]):
    def __init__(self, draw: Callable[[T], None], key: Callable[[T], Hashable], data: T, *, classes: str = '') -> None:
        self.draw, self.key = draw, key
        self.shown = key(data)
        self.box = ui.element('div').classes(f'w-full min-w-0 {classes}')
        with self.box:
            draw(data)

    def show(self, data: T) -> bool:
        """Draw `data` when its key differs from the shown one; whether it did."""
        key = self.key(data)
        if key == self.shown or self.box.is_deleted:
            return False
        self.shown = key
        self.box.clear()
        with self.box:
            self.draw(data)
        return True
