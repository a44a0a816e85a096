"""Both rollups (usage_hour, route_hour) are written with their generations and rebuilt exactly from them."""

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import select

from services.catalog import get_catalog
from services.models import Generation, RouteHour, UsageDay, UsageHour
from services.routing.whatif import preview
from services.usage.ingest import parse
from services.usage.rollups import ROLLUPS, rebuild_rollups, usage_window
from tests.support import factories

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


def _history(session, account, count=300):
    """A varied history: keys, offers, auto-routed and direct requests, failures, over four days."""
    rng = random.Random(3)
    catalog = get_catalog()
    keys = [None] + [
        factories.api_key(account, session=session, name=f'k{i}', scopes=['ingest']).key.id for i in range(3)
    ]
    for i in range(count):
        offer = rng.choice(catalog.offers)
        factories.generation(
            account,
            session=session,
            offer=offer,
            requested_model=rng.choice(['lowrouter/auto', offer.model]),
            prompt_tokens=rng.randint(1, 5000),
            completion_tokens=rng.randint(0, 2000),
            status='failed' if i % 17 == 0 else 'completed',
            created_at=NOW - timedelta(minutes=rng.randint(0, 4 * 24 * 60)),
            api_key_id=rng.choice(keys),
        )
    session.commit()


def _snapshot(session):
    tables = {}
    for rollup in ROLLUPS:
        rows = session.exec(select(rollup.table)).all()
        tables[rollup.table.__tablename__] = sorted(
            tuple(getattr(r, c) for c in rollup.bucket) + tuple(round(getattr(r, c), 9) for c in rollup.sums)
            for r in rows
        )
    return tables


def test_route_rollup_holds_completed_generations_by_requested_model(session, account):
    _history(session, account)
    generations = session.exec(select(Generation)).all()
    buckets = session.exec(select(RouteHour)).all()
    completed = [g for g in generations if g.status == 'completed']
    assert sum(b.requests for b in buckets) == len(completed) < len(generations)
    assert sum(b.cost_micros for b in buckets) == sum(g.cost_micros for g in completed)
    auto = [g for g in completed if g.requested_model == 'lowrouter/auto']
    assert sum(b.requests for b in buckets if b.requested_model == 'lowrouter/auto') == len(auto) > 0
    assert sum(b.requests for b in session.exec(select(UsageHour)).all()) == len(generations)


def test_rebuild_reproduces_both_rollups_exactly(session, account):
    _history(session, account)
    before = _snapshot(session)
    assert all(before.values())
    assert rebuild_rollups(session, account.id) == 300
    session.commit()
    assert _snapshot(session) == before


def test_rebuild_keeps_the_hours_whose_raw_generations_were_pruned(session, account):
    _history(session, account)
    before = _snapshot(session)
    horizon = (NOW - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    deleted = session.execute(delete(Generation).where(Generation.created_at < horizon)).rowcount
    account.pruned_before = horizon
    session.add(account)
    session.commit()
    assert 0 < deleted < 300
    assert rebuild_rollups(session, account.id) == 300 - deleted
    session.commit()
    assert _snapshot(session) == before


def test_what_if_reads_the_rollup_so_pruning_does_not_change_it(session, account):
    _history(session, account)
    first = preview(session, account, days=7, now=NOW)
    completed = session.exec(select(Generation).where(Generation.status == 'completed')).all()
    assert first.before.requests == len(completed)
    assert first.before.cost_micros == sum(g.cost_micros for g in completed)
    session.execute(delete(Generation))
    session.commit()
    again = preview(session, account, days=7, now=NOW)
    assert (again.before, again.after, again.moved_requests) == (first.before, first.after, first.moved_requests)


def test_daily_rollup_sums_the_hourly_one(session, account):
    _history(session, account)
    hours, days = session.exec(select(UsageHour)).all(), session.exec(select(UsageDay)).all()
    assert len(days) < len(hours)
    for column in ('requests', 'prompt_tokens', 'completion_tokens', 'cost_micros', 'estimated_requests'):
        assert sum(getattr(d, column) for d in days) == sum(getattr(h, column) for h in hours)
    assert all(d.day == d.day.replace(hour=0, minute=0, second=0, microsecond=0) for d in days)


def test_a_usage_window_equals_the_hourly_buckets_it_covers(session, account):
    _history(session, account)
    hours = session.exec(select(UsageHour)).all()
    starts = [None, NOW - timedelta(days=30)]
    starts += [NOW - timedelta(hours=h, minutes=m) for h in (0, 1, 5, 23, 24, 25, 47, 71, 95) for m in (0, 17, 30)]
    starts += [NOW.replace(hour=0, minute=0) - timedelta(days=d) for d in (0, 1, 2, 3)]
    for since in starts:
        window = usage_window(account.id, since)
        got = session.exec(select(func.sum(window.c.requests), func.sum(window.c.cost_micros))).one()
        covered = [h for h in hours if since is None or h.hour >= since]
        assert tuple(int(v or 0) for v in got) == (
            sum(h.requests for h in covered),
            sum(h.cost_micros for h in covered),
        ), since


def test_concurrent_batches_sharing_buckets_never_deadlock(engine):
    """Batches that touch the same buckets in opposite orders, at once: every one commits (PostgreSQL
    would abort one of two transactions that lock shared rollup rows in opposite orders)."""
    import threading

    from services import db
    from services.usage.ingest import prepare_generation, store_generations

    account = factories.account(name='Busy')
    catalog = get_catalog()
    offers = catalog.offers[:12]
    errors = []

    def ingest(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(8):
                picks = offers if seed % 2 else offers[::-1]
                rows = [
                    prepare_generation(
                        catalog,
                        account,
                        parse({'model': o.model, 'provider': o.provider, 'region': o.region, 'prompt_tokens': 5,
                               'completion_tokens': 5, 'created_at': NOW.isoformat()}),
                        rng=rng,
                    )
                    for o in picks
                ]  # fmt: skip
                with db.session_scope() as session:
                    store_generations(session, rows)
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(error)

    threads = [threading.Thread(target=ingest, args=(seed,)) for seed in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with db.session_scope() as session:
        assert sum(h.requests for h in session.exec(select(UsageHour))) == 4 * 8 * len(offers)
