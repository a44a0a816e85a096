"""A notice on a form whose data was changed elsewhere (another tab, the API) while it holds unsaved edits.

Hidden until shown. The form keeps the operator's edits; the button loads the new values instead.
"""

from __future__ import annotations

from nicegui import ui


class ChangedNotice:
    def __init__(self, load_label: str, marker: str) -> None:
        self.box = (
            ui.row()
            .classes('w-full items-start gap-2 flex-nowrap rounded-lg p-3 bg-amber-50 text-amber-900 text-sm')
            .mark(marker)
        )
        with self.box:
            ui.icon('sync_problem', size='20px').classes('shrink-0 text-amber-700')
            with ui.column().classes('gap-1 min-w-0 items-start'):
                self.title = ui.label().classes('font-semibold').mark(f'{marker}-title')
                self.text = ui.label()
                self.load = ui.button(load_label).props('outline dense no-caps').classes('px-2 mt-1')
                self.load.mark(f'{marker}-load')
        self.box.props('role=status aria-live=polite')
        self.box.set_visibility(False)

    @property
    def shown(self) -> bool:
        return self.box.visible

    def show(self, title: str, text: str, *, can_load: bool = True) -> None:
        self.title.set_text(title)
        self.text.set_text(text)
        self.load.set_visibility(can_load)
        self.box.set_visibility(True)

    def hide(self) -> None:
        self.box.set_visibility(False)
