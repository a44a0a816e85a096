"""Every API router, in the order app.py includes them."""

from api import account, billing, eco, exports, generations, keys

ALL = (exports.router, generations.router, account.router, billing.router, keys.router, eco.router)
