"""One module per route family; importing this package registers every page."""

from pages import credits, dashboard, invoices, keys, methodology, settings, transaction, upcoming, welcome  # noqa: F401
