"""A real `python app.py` on loopback over a fresh database, routing to a fake upstream on loopback.

One account with credit and one key are stored before the app starts; the providers named (every provider
of the catalog unless told otherwise) are all served by one FakeUpstream, so inference really runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import update

from services import db
from services.account.accounts import create_account
from services.billing.ledger import top_up
from services.catalog import get_catalog
from services.keys.api_keys import SCOPES, create_key
from services.models import ApiKey
from tests.browser.conftest import serve
from tests.conftest import fresh_database
from tests.support.fake_upstream import FakeUpstream


@dataclass
class GatewayApp:
    base: str  # the app's base URL, e.g. http://127.0.0.1:8123
    secret: str  # of the key stored before the start
    account_id: int
    key_id: int
    database_url: str
    upstream: FakeUpstream

    @property
    def headers(self) -> dict[str, str]:
        return {'Authorization': f'Bearer {self.secret}'}


@contextmanager
def gateway_app(
    folder: Path,
    *,
    account_name: str,
    credit: str = '100.00',
    key_name: str = 'app',
    scopes: Iterable[str] = SCOPES,
    key_id: int | None = None,
    providers: Iterable[str] | None = None,
) -> Iterator[GatewayApp]:
    """The app with `--no-demo` on a fresh database (a file in `folder` or a new PostgreSQL database), until the
    block ends. The account gets `credit` by bank transfer; its key `key_name` holds `scopes` and, when
    `key_id` is given, has that id. `providers` are the ones routed to the upstream (all when None)."""
    with FakeUpstream() as upstream, fresh_database(folder) as url:
        config = folder / 'upstreams.toml'
        served = sorted(get_catalog().providers) if providers is None else list(providers)
        config.write_text(''.join(f'[providers."{p}"]\nbase_url = "{upstream.base_url(p)}"\n\n' for p in served))
        db.init_db(url)
        with db.session_scope() as session:
            account = create_account(session, name=account_name)
            top_up(session, account, credit, method='bank_transfer', idempotency_key='seed')
            new = create_key(session, account, name=key_name, scopes=list(scopes))
            session.flush()
            stored_id = new.key.id
            if key_id is not None:
                session.execute(update(ApiKey).where(ApiKey.id == stored_id).values(id=key_id))
                stored_id = key_id
            account_id = account.id
        server = serve(url, '--no-demo', env={'LOWROUTER_UPSTREAMS': str(config)})
        try:
            base = next(server)
            yield GatewayApp(base, new.secret, account_id, stored_id, url, upstream)
        finally:
            server.close()
