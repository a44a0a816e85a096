import random
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from services import db
from services.account.accounts import create_account
from services.account.demo import DEMO_KEYS, create_demo_account, demo_traffic
from services.billing.ledger import credit_balance
from services.catalog import get_catalog
from services.models import ApiKey, Generation, UsageHour
from services.usage.ingest import record_generation

NOW = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)
COMPARED = (
    'created_at',
    'model',
    'provider',
    'region',
    'prompt_tokens',
    'completion_tokens',
    'cost_micros',
    'carbon_g',
)


def _rows(session):
    generations = session.exec(select(Generation).order_by(Generation.created_at, Generation.id)).all()
    return [(g.id, *(getattr(g, c) for c in COMPARED), g.routing_trace) for g in generations]


def test_demo_history_is_deterministic_and_realistic(tmp_path):
    snapshots = []
    for name in ('a', 'b'):
        db.init_db(f'sqlite:///{tmp_path / name}.sqlite3')
        with db.session_scope() as session:
            account = create_demo_account(session, seed=7, now=NOW)
        with Session(db.get_engine()) as session:
            snapshots.append(_rows(session))
            balance = credit_balance(session, account)
            keys = session.exec(select(ApiKey)).all()
        db.dispose_all()
    assert snapshots[0] == snapshots[1]
    rows = snapshots[0]
    assert 15_000 <= len(rows) <= 25_000
    assert (NOW - rows[0][1]).days >= 85
    assert len({r[2] for r in rows}) >= 8  # models
    assert len({r[3] for r in rows}) >= 4  # providers
    assert len(keys) == len(DEMO_KEYS)
    assert balance > 0
    reasons = {r[-1]['reason'].split(' ')[0] for r in rows}
    assert {'the', 'fallback'} <= reasons
    with Session(db.get_engine(f'sqlite:///{tmp_path / "b"}.sqlite3')) as session:
        failed = session.exec(select(Generation).where(Generation.status == 'failed')).all()
    assert failed and all(g.cost_micros == 0 and g.completion_tokens == 0 for g in failed)
    for g in failed:  # the trace says how its last attempt failed, as the gateway writes it: no offer 'picked'
        last = g.routing_trace['attempts'][-1]
        assert last['outcome'] in ('upstream_error: 502', 'timeout', 'connection_error'), last
        statuses = [c['status'] for c in g.routing_trace['candidates']]
        assert 'picked' not in statuses and statuses.count('failed') >= 1


def test_demo_bulk_path_equals_recording_one_by_one(session, account):
    catalog = get_catalog()
    key = ApiKey(account_id=account.id, name='k', prefix='lr-x', secret_hash='h' * 64)
    session.add(key)
    session.commit()
    traffic = demo_traffic(catalog, [key] * len(DEMO_KEYS), random.Random(3), NOW)
    payloads = [payload for _, (_, payload) in zip(range(300), traffic, strict=False)]

    from services.usage.ingest import prepare_generation, store_generations

    bulk = [prepare_generation(catalog, account, p, api_key_id=key.id) for p in payloads]
    store_generations(session, bulk)
    session.commit()
    bulk_rollups = _rollups(session)

    other = create_account(session, name='One by one')
    for p in payloads:
        record_generation(session, other, p, api_key_id=key.id)
    session.commit()
    assert _rollups(session, other.id) == bulk_rollups


def _rollups(session, account_id=None):
    rows = session.exec(select(UsageHour)).all()
    account_id = account_id or min(r.account_id for r in rows)
    return sorted(
        (r.hour, r.model, r.provider, r.region, r.requests, r.prompt_tokens, r.cost_micros, round(r.carbon_g, 9))
        for r in rows
        if r.account_id == account_id
    )


def test_the_demo_has_traffic_today_even_just_after_midnight(tmp_path):
    from zoneinfo import ZoneInfo

    from services.account.demo import DEMO_TIMEZONE, MIN_TODAY

    just_after = datetime(2026, 11, 26, 0, 3, tzinfo=ZoneInfo(DEMO_TIMEZONE)).astimezone(UTC)
    midnight = just_after - timedelta(minutes=3)
    db.init_db(f'sqlite:///{tmp_path / "midnight"}.sqlite3')
    with db.session_scope() as session:
        create_demo_account(session, seed=7, now=just_after)
    with Session(db.get_engine()) as session:
        today = session.exec(select(Generation.created_at).where(Generation.created_at >= midnight)).all()
    db.dispose_all()
    assert len(today) >= MIN_TODAY
    assert all(midnight <= moment <= just_after for moment in today)
