"""One module per route family; importing this package registers every page."""

from pages import (  # noqa: F401
    credits,
    dashboard,
    invoices,
    keys,
    login,
    logs,
    methodology,
    routing,
    settings,
    transaction,
    usage,
    welcome,
)
