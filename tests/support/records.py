"""Reading what the router recorded: it journals a generation before answering and stores it a moment later."""

from __future__ import annotations

import time

from services import db
from services.models import Generation


def stored_generation(generation_id: str, wait: float = 5) -> Generation | None:
    """The stored generation, waiting up to `wait` seconds for it to reach the database."""
    deadline = time.monotonic() + wait
    while True:
        with db.read_scope() as session:
            found = session.get(Generation, generation_id)
        if found is not None or time.monotonic() > deadline:
            return found
        time.sleep(0.02)
