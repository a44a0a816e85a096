"""Every API router, in the order app.py includes them."""

from api import account, billing, chat, docs, eco, exports, generations, ingest, keys, login, retention, routing

ALL = (
    login.router,
    chat.router,
    exports.router,
    ingest.router,
    generations.router,
    account.router,
    billing.router,
    routing.router,
    keys.router,
    eco.router,
    retention.router,
    docs.router,
)
