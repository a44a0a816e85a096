"""Why the app cannot use a database URL, in one line for the operator (instead of a traceback at start-up)."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

EXAMPLES = 'e.g. sqlite:///lowrouter.sqlite3 or postgresql+psycopg://user@127.0.0.1/lowrouter'


def url_problem(url: str) -> str | None:
    """What is wrong with the URL itself (checked before connecting), or None."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return f'LOWROUTER_DATABASE_URL {url!r} is not a database URL; {EXAMPLES}'
    if parsed.get_backend_name() == 'sqlite' and _in_memory(parsed):
        return (
            'LOWROUTER_DATABASE_URL points at an in-memory SQLite database, which loses everything when the app '
            'stops; give a file, e.g. sqlite:///lowrouter.sqlite3'
        )
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        return f'LOWROUTER_DATABASE_URL names an unknown database driver {parsed.drivername!r}; {EXAMPLES}'
    return None


def open_problem(url: str, error: BaseException) -> str:
    """The line to show when the database could not be opened or migrated."""
    text = str(getattr(error, 'orig', None) or error).strip()
    reason = text.splitlines()[0] if text else type(error).__name__
    return f'cannot open the database {_shown(url)}: {reason}'


def _in_memory(parsed: URL) -> bool:
    return parsed.database in (None, '', ':memory:') or parsed.query.get('mode') == 'memory'


def _shown(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return repr(url)
