"""A service's refusal (a DomainError) shown on the form that sent the input: under the field it names.

    except SettingError as error:
        show_error(error, {'name': name_input, 'email': email_input})

An error without a field the form has goes to `fallback`: a field element (e.g. the form's main input), a
function given the text, or, by default, a red notification.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from nicegui import ui
from nicegui.elements.mixins.validation_element import ValidationElement

from components.safe import set_error
from services.errors import DomainError


def show_error(
    error: DomainError,
    fields: Mapping[str, ui.element] | None = None,
    *,
    fallback: ui.element | Callable[[str], object] | None = None,
    capitalize: bool = False,
) -> str:
    """Put the error's message under the element of its field; returns the text shown.

    `capitalize` starts the text with a capital letter (the services write messages in lower case, to follow
    a field name). An input element (one with NiceGUI validation) gets the message as its `error`, as its own
    validation would set it; any other element gets Quasar's error props.
    """
    text = error.message[:1].upper() + error.message[1:] if capitalize else error.message
    element = (fields or {}).get(error.field or '')
    if element is None and isinstance(fallback, ui.element):
        element = fallback
    if element is not None:
        show_on(element, text)
    elif fallback is not None:
        fallback(text)
    else:
        ui.notify(text, type='negative')
    return text


def show_on(element: ui.element, text: str | None) -> None:
    """Show `text` under `element` as a field error, or clear it with None."""
    if isinstance(element, ValidationElement):
        element.error = text
    else:
        set_error(element, text)
