"""The browser's language, as a locale (for a new account's default and Settings' suggestion)."""

from __future__ import annotations

from nicegui import context

from services import locales


def browser_locale() -> str | None:
    """The locale that best fits this page's Accept-Language; None outside a page or without the header."""
    try:
        header = context.client.request.headers.get('accept-language')
    except RuntimeError:  # no page (a background task), or no request
        return None
    return locales.from_browser(header) if header else None
