"""A place on a live page (components/live.py) whose content follows its data.

Two ways, chosen per place:

- `texts` given (the dashboard's cards): the data's view is its *shape* (what elements there are) and the
  *texts* of its named labels. While the shape stays, only the labels whose text changed are updated, in
  place: no element is made again, and the browser gets a handful of small updates. Traffic moves the
  figures every second, their shape (a model coming into the top five, a warning appearing) far less often.
- Otherwise, or when the shape changed: the content is drawn again, cleared and drawn in the same round, so
  there is no empty moment.

Either way the rest of the page (scroll position, open dialogs and menus, fields being typed in) stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar

from nicegui import ui

T = TypeVar('T')
View = tuple[Hashable, dict[str, str]]  # (shape, text of each named label)


class Shown(Protocol):
    """What a card names for in-place updates: a label (ui.link is one too), or an `Attribute`."""

    @property
    def text(self) -> str: ...

    def set_text(self, text: str) -> None: ...


Labels = dict[str, Shown]  # what a card draws that can change in place


class Attribute:
    """An element's prop (e.g. a link's href or title) or its marker, set now and then updated in place like a
    label's text: a list whose rows change order (the models of Usage today) is then updated, not drawn again.
    Values are data (a prop is never parsed or evaluated)."""

    def __init__(self, element: ui.element, prop: str | None, text: str) -> None:
        self.element, self.prop = element, prop  # prop None: the element's marker
        self.set_text(text)

    def set_text(self, text: str) -> None:
        self.text = text
        if self.prop is None:
            self.element.mark(text)
        else:
            self.element.props[self.prop] = text  # observed: sent to the browser with the next update


class LiveSlot(Generic[T]):
    def __init__(
        self,
        draw: Callable[[T], Labels | None],
        key: Callable[[T], Hashable] | None,
        data: T,
        *,
        texts: Callable[[T], View] | None = None,
        classes: str = '',
    ) -> None:
        """`draw` makes the content and returns its named labels (with `texts`); `key` tells whether the data
        changed what is shown (with `texts`, the view is the key)."""
        if key is None and texts is None:
            raise ValueError('a LiveSlot needs a key or texts')
        self.draw, self.key, self.texts = draw, key, texts
        self.shown = self._key(data)
        self.box = ui.element('div').classes(f'w-full min-w-0 {classes}')
        with self.box:
            self.labels = draw(data) or {}

    def _key(self, data: T) -> Hashable:
        if self.texts is None:
            return self.key(data)
        shape, texts = self.texts(data)
        return shape, tuple(texts.items())

    def show(self, data: T) -> bool:
        """Show `data` when its key differs from the shown one; whether anything changed."""
        key = self._key(data)
        if key == self.shown or self.box.is_deleted:
            return False
        shape = self.shown[0] if self.texts is not None else None
        self.shown = key
        if self.texts is not None and key[0] == shape and self.labels.keys() == {name for name, _ in key[1]}:
            for name, text in key[1]:
                label = self.labels[name]
                if label.text != text:
                    label.set_text(text)
            return True
        self.box.clear()
        with self.box:
            self.labels = self.draw(data) or {}
        return True
