"""Every API router, in the order app.py includes them."""

from api import eco

ALL = (eco.router,)
