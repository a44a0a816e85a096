"""Every API router, in the order app.py includes them."""

from api import (
    account,
    account_admin,
    billing,
    chat,
    docs,
    eco,
    exports,
    generations,
    ingest,
    keys,
    keys_bulk,
    login,
    notifications,
    page_downloads,
    profile,
    retention,
    routing,
    usage_series,
    whatif,
)

ALL = (
    login.router,
    page_downloads.router,  # the dashboard's downloads, for a signed-in browser
    chat.router,
    exports.router,
    ingest.router,
    generations.router,
    account.router,
    usage_series.router,
    billing.router,
    routing.router,
    keys.router,
    eco.router,
    retention.router,
    keys_bulk.router,
    whatif.router,
    account_admin.router,  # before profile: the fuzz test tries deletion while the account has its seeded name
    profile.router,
    notifications.router,
    docs.router,
)
