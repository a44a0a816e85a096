"""The benchmark's bulk fill writes exactly what the ingestion service writes for the same requests."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from bench.fill import fill, request_pool, schedule
from services import db
from services.account.accounts import create_account
from services.models import ApiKey, Generation, KeySpend
from services.usage.ingest import record_generation
from services.usage.rollups import ROLLUPS
from tests.conftest import fresh_database

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
N = 1500


def test_bulk_fill_equals_recording_each_generation(tmp_path):
    (tmp_path / 'bulk').mkdir()
    (tmp_path / 'service').mkdir()
    with fresh_database(tmp_path / 'bulk') as bulk_url:
        assert fill(bulk_url, N, seed=5, now=NOW, quiet=True) == N
        bulk = _tables(bulk_url)
        assert fill(bulk_url, N, seed=5, now=NOW, quiet=True) == N  # kept between runs: nothing added
        assert _tables(bulk_url)[Generation.__tablename__] == bulk[Generation.__tablename__]
    with fresh_database(tmp_path / 'service') as service_url:
        db.init_db(service_url)
        with db.session_scope() as session:
            account = create_account(session, name='Bench', timezone='Europe/Berlin')
            pool = request_pool(session, account, 5)
            for planned in schedule(N, seed=5, now=NOW):
                key_id, payload = pool[planned.request]
                record_generation(
                    session,
                    account,
                    payload.model_copy(update={'created_at': planned.created_at}),
                    api_key_id=key_id,
                    generation_id=planned.generation_id,
                )
        recorded = _tables(service_url)
    assert len(recorded[Generation.__tablename__]) == N
    assert len({row[0] for row in recorded[Generation.__tablename__]}) == N  # distinct ids
    assert len({row[1] for row in recorded['route_hour']}) > 24 * 50  # spread over the 60 days
    assert bulk == recorded


def _tables(url: str) -> dict[str, list[tuple]]:
    with Session(db.get_engine(url)) as session:
        generations = session.exec(select(Generation).order_by(Generation.id)).all()
        tables = {
            Generation.__tablename__: [
                tuple(getattr(g, c.name) for c in Generation.__table__.columns) for g in generations
            ],
            ApiKey.__tablename__: sorted((k.id, k.name, tuple(k.scopes)) for k in session.exec(select(ApiKey))),
            KeySpend.__tablename__: sorted(
                (s.api_key_id, s.hour, s.cost_micros) for s in session.exec(select(KeySpend))
            ),
        }
        for rollup in ROLLUPS:
            tables[rollup.table.__tablename__] = sorted(
                tuple(getattr(r, c) for c in rollup.bucket) + tuple(round(getattr(r, c), 9) for c in rollup.sums)
                for r in session.exec(select(rollup.table))
            )
    return tables
