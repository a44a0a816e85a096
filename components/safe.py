"""Put values into element props without a props string.

`element.props('key="value"')` parses its argument: a value holding a quote ends the string early and the
rest becomes more props, `:name="..."` ones evaluated as JavaScript in the browser. Values that come from a
URL, a form, a stored name or an ingested field go through the props dictionary instead, as plain data.
"""

from __future__ import annotations

from nicegui import ui


def set_error(element: ui.element, message: str | None) -> None:
    """Show `message` under a field (Quasar's error state), or clear it with None."""
    if message is None:
        element.props.pop('error', None)
        element.props.pop('error-message', None)
    else:
        element.props['error'] = True
        element.props['error-message'] = message


def set_props(element: ui.element, **values: object) -> ui.element:
    """Set props by name (underscores become dashes), each value as data, never parsed or evaluated."""
    for name, value in values.items():
        element.props[name.replace('_', '-')] = value
    return element
