"""One module per route family; importing this package registers every page."""

from pages import dashboard, keys, methodology, settings, transaction, upcoming, welcome  # noqa: F401
