"""`eco-recompute` brings eco-1 generations to the current methodology and moves their rollup sums with them:
totals of requests, tokens and cost never change, energy and carbon always equal the generations' sums."""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func
from sqlmodel import select

from services import db
from services.catalog import get_catalog
from services.eco import estimate as eco
from services.eco import recompute as eco_recompute
from services.eco.recompute import recompute
from services.models import Account, Generation, RouteHour, UsageDay, UsageHour
from services.usage.ingest import parse, prepare_generation, store_generations
from services.usage.rollups import DAILY, USAGE, rebuild_rollups
from tests.support import factories

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
FIGURES = tuple(f'{s}{e}' for s in ('energy_wh', 'carbon_g', 'embodied_g') for e in ('_low', '', '_high'))
COUNTS = ('prompt_tokens', 'completion_tokens', 'cost_micros')
ECO_COLUMNS = (*FIGURES, 'input_energy_wh', 'pue', 'grid_basis', 'grid_intensity_g_per_kwh', 'estimated')


def _seed_eco1(account_id: int, count: int, *, seed: int = 5, model: str | None = None) -> None:
    """`count` generations stamped eco-1 (the frozen legacy estimate), stored with their rollups the normal way:
    keys, offers, latencies, failures, over four days.

    Written one step below the factories on purpose: ingestion stamps the current methodology and refuses a model
    that is no longer in the catalog (`model`), while these rows must look as an earlier version wrote them."""
    rng = random.Random(seed)
    catalog = get_catalog()
    with db.session_scope() as session:
        account = session.get(Account, account_id)
        keys = [None] + [
            factories.api_key(account, session=session, name=f'k{seed}-{i}', scopes=['ingest']).key.id for i in range(2)
        ]
        rows = []
        for i in range(count):
            offer = rng.choice(catalog.offers)
            payload = parse(
                {
                    'model': offer.model,
                    'provider': offer.provider,
                    'region': offer.region,
                    'requested_model': rng.choice(['lowrouter/auto', offer.model]),
                    'prompt_tokens': rng.randint(0, 5000),
                    'completion_tokens': rng.randint(0, 2000),
                    'latency_ms': rng.choice([None, rng.randint(200, 20_000)]),
                    'status': 'failed' if i % 13 == 0 else 'completed',
                    'created_at': NOW - timedelta(minutes=rng.randint(0, 4 * 24 * 60)),
                }
            )
            row = prepare_generation(catalog, account, payload, api_key_id=rng.choice(keys), rng=rng)
            if model is not None:
                row['model'] = model
            legacy = eco.estimate(
                catalog,
                offer.model,
                row['provider'],
                row['region'],
                row['completion_tokens'],
                version=eco.LEGACY_VERSION,
            )
            rows.append(row | legacy.columns())
        store_generations(session, rows)


def _ingest_current(account_id: int, n: int, seed: int) -> None:
    """`n` generations recorded through ingestion, each in its own transaction, as the router records them."""
    rng = random.Random(seed)
    offers = get_catalog().offers
    for _ in range(n):
        offer = rng.choice(offers)
        with db.session_scope() as session:
            factories.generation(
                session.get(Account, account_id),
                session=session,
                offer=offer,
                prompt_tokens=rng.randint(1, 900),
                completion_tokens=rng.randint(1, 900),
                latency_ms=rng.randint(300, 4000),
                created_at=NOW.isoformat(),
            )


def _per_version(session, table) -> dict[str, tuple]:
    """methodology -> (requests, tokens and cost, energy/carbon/embodied sums) of a usage table or of generations."""
    requests = func.count() if table is Generation else func.sum(table.requests)
    columns = (requests, *(func.sum(getattr(table, c)) for c in (*COUNTS, *FIGURES)))
    query = select(table.methodology_version, *columns).group_by(table.methodology_version)
    return {version: tuple(sums) for version, *sums in session.exec(query)}


def _totals(session) -> dict[str, tuple]:
    """Requests, tokens and cost of each rollup table and of the generations, whatever the methodology."""
    out = {'generation': session.exec(select(func.count(), *(func.sum(getattr(Generation, c)) for c in COUNTS))).one()}
    for table in (UsageHour, UsageDay, RouteHour):
        columns = (func.sum(table.requests), *(func.sum(getattr(table, c)) for c in COUNTS))
        out[table.__tablename__] = session.exec(select(*columns)).one()
    return {name: tuple(int(v or 0) for v in values) for name, values in out.items()}


def _assert_consistent(session, *, except_versions: tuple[str, ...] = ()) -> None:
    """For every methodology: the generations' sums equal usage_hour's and usage_day's; route_hour holds the
    completed generations' energy and carbon; estimated requests and energy match too."""
    generations = _per_version(session, Generation)
    for table in (UsageHour, UsageDay):
        usage = _per_version(session, table)
        assert set(usage) == set(generations) | (set(usage) & set(except_versions)), table
        for version, sums in generations.items():
            if version in except_versions:
                continue
            assert sums[:4] == tuple(int(v) for v in usage[version][:4]), (table, version)
            assert sums[4:] == pytest.approx(usage[version][4:], rel=1e-9, abs=1e-9), (table, version)
        estimated = session.exec(select(func.sum(table.estimated_requests), func.sum(table.estimated_energy_wh))).one()
        wanted = session.exec(
            select(func.count(), func.sum(Generation.energy_wh)).where(Generation.estimated.is_(True))
        ).one()
        if not except_versions:
            assert int(estimated[0] or 0) == wanted[0]
            assert (estimated[1] or 0) == pytest.approx(wanted[1] or 0, rel=1e-9, abs=1e-9)
    completed = Generation.status == 'completed'
    route = session.exec(select(func.sum(RouteHour.energy_wh), func.sum(RouteHour.carbon_g))).one()
    raw = session.exec(select(func.sum(Generation.energy_wh), func.sum(Generation.carbon_g)).where(completed)).one()
    if not except_versions:
        assert route == pytest.approx(raw, rel=1e-9)


def _rollups(session) -> dict[str, dict[tuple, tuple]]:
    tables = {}
    for rollup in (USAGE, DAILY):
        rows = session.exec(select(rollup.table)).all()
        tables[rollup.table.__tablename__] = {
            tuple(getattr(r, c) for c in rollup.bucket): tuple(getattr(r, c) for c in rollup.sums) for r in rows
        }
    routes = session.exec(select(RouteHour)).all()
    tables['route_hour'] = {
        (r.account_id, r.hour, r.api_key_id, r.requested_model, r.model, r.provider, r.region): (
            r.requests,
            r.cost_micros,
            r.energy_wh,
            r.carbon_g,
        )
        for r in routes
    }
    return tables


def _assert_rollups_close(got: dict, want: dict) -> None:
    for name in want:
        assert set(got[name]) == set(want[name]), name
        for key, sums in want[name].items():
            assert got[name][key] == pytest.approx(sums, rel=1e-9, abs=1e-9), (name, key)


def _assert_rebuild_agrees(account_id: int) -> None:
    """The rollups equal those rebuilt from the raw generations (nothing pruned)."""
    with db.read_scope() as session:
        moved = _rollups(session)
    with db.session_scope() as session:
        rebuild_rollups(session, account_id)
    with db.read_scope() as session:
        _assert_rollups_close(_rollups(session), moved)


def _assert_all_current_and_exact() -> None:
    """Every generation is stamped current, with exactly the estimate of its own inputs."""
    catalog = get_catalog()
    with db.read_scope() as session:
        for g in session.exec(select(Generation)):
            assert g.methodology_version == eco.METHODOLOGY_VERSION
            impact = eco.estimate(
                catalog,
                g.model,
                g.provider,
                g.region,
                g.completion_tokens,
                prompt_tokens=g.prompt_tokens,
                latency_ms=g.latency_ms,
            )
            assert {c: getattr(g, c) for c in ECO_COLUMNS} == {c: impact.columns()[c] for c in ECO_COLUMNS}


@pytest.fixture
def account_id(engine) -> int:
    return factories.account(name='Recompute me').id


def test_recompute_moves_every_generation_and_its_totals_to_the_current_methodology(account_id):
    _seed_eco1(account_id, 150)
    _ingest_current(account_id, 5, seed=1)  # already current: left alone
    with db.read_scope() as session:
        before = _totals(session)
        eco1 = _per_version(session, UsageHour)[eco.LEGACY_VERSION]
        _assert_consistent(session)
    seen = []

    outcome = recompute(batch=16, progress=lambda done, total: seen.append((done, total)))

    assert (outcome.to_recompute, outcome.recomputed, outcome.vanished, outcome.batches) == (150, 150, 0, 10)
    assert outcome.finished and outcome.unknown_models == {} and outcome.kept_buckets == {}
    assert seen[0] == (0, 150) and seen[-1] == (150, 150) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    _assert_all_current_and_exact()
    with db.read_scope() as session:
        assert _totals(session) == before  # requests, tokens and cost moved with the figures
        _assert_consistent(session)
        for table in (UsageHour, UsageDay):  # no eco-1 bucket is left, not even an empty one
            assert (
                session.exec(select(func.count()).where(table.methodology_version != eco.METHODOLOGY_VERSION)).one()
                == 0
            )
        now = _per_version(session, UsageHour)[eco.METHODOLOGY_VERSION]
        assert now[0] == 155 and now[1:4] == tuple(int(v) for v in before['usage_hour'][1:4])
        assert now[FIGURES.index('carbon_g') + 4] != pytest.approx(eco1[FIGURES.index('carbon_g') + 4])
        assert now[FIGURES.index('embodied_g') + 4] > 0 == eco1[FIGURES.index('embodied_g') + 4]
    _assert_rebuild_agrees(account_id)


def test_a_second_run_changes_nothing(account_id):
    _seed_eco1(account_id, 40)
    recompute(batch=7)
    with db.read_scope() as session:
        generations = sorted(
            tuple(getattr(g, c) for c in ('id', *ECO_COLUMNS)) for g in session.exec(select(Generation))
        )
        rollups = _rollups(session)

    again = recompute(batch=7)

    assert (again.to_recompute, again.recomputed, again.batches, again.finished) == (0, 0, 0, True)
    with db.read_scope() as session:
        assert sorted(tuple(getattr(g, c) for c in ('id', *ECO_COLUMNS)) for g in session.exec(select(Generation))) == (
            generations
        )
        assert _rollups(session) == rollups  # exactly: not a single upsert ran


def test_an_interrupted_run_resumes_to_the_same_final_state(account_id):
    _seed_eco1(account_id, 60)
    with db.read_scope() as session:
        before = _totals(session)

    first = recompute(batch=25, limit=25)  # stopped after its first batch

    assert (first.to_recompute, first.recomputed, first.batches, first.finished) == (60, 25, 1, False)
    with db.read_scope() as session:
        stamps = dict(
            session.exec(
                select(Generation.methodology_version, func.count()).group_by(Generation.methodology_version)
            ).all()
        )
        assert stamps == {eco.METHODOLOGY_VERSION: 25, eco.LEGACY_VERSION: 35}
        assert _totals(session) == before
        _assert_consistent(session)  # half way, both methodologies add up

    rest = recompute(batch=25)

    assert (rest.to_recompute, rest.recomputed, rest.batches, rest.finished) == (35, 35, 2, True)
    _assert_all_current_and_exact()
    with db.read_scope() as session:
        assert _totals(session) == before
        _assert_consistent(session)
    _assert_rebuild_agrees(account_id)


def test_ingestion_during_a_recompute_is_not_lost(account_id):
    _seed_eco1(account_id, 120)
    with db.read_scope() as session:
        before = _totals(session)
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            _ingest_current(account_id, 30, seed=7)
        except BaseException as error:  # noqa: BLE001 (asserted below)
            errors.append(error)

    thread = threading.Thread(target=ingest)
    between = iter(range(100, 200))
    thread.start()
    # and one more generation recorded between every two batches, for certain
    outcome = recompute(batch=10, progress=lambda done, total: done and _ingest_current(account_id, 1, next(between)))
    thread.join()

    assert errors == [] and outcome.recomputed == 120
    added = 30 + outcome.batches
    _assert_all_current_and_exact()
    with db.read_scope() as session:
        after = _totals(session)
        assert after['generation'][0] == after['usage_hour'][0] == after['usage_day'][0] == 120 + added
        assert before['generation'][0] == 120
        _assert_consistent(session)
    _assert_rebuild_agrees(account_id)


def test_hours_before_the_retention_horizon_keep_eco1_and_are_counted(account_id):
    _seed_eco1(account_id, 100)
    horizon = (NOW - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    with db.session_scope() as session:
        pruned = session.execute(delete(Generation).where(Generation.created_at < horizon)).rowcount
        account = session.get(Account, account_id)
        account.pruned_before = horizon
        session.add(account)
    with db.read_scope() as session:
        before = _totals(session)
        kept = session.exec(select(UsageHour).where(UsageHour.hour < horizon)).all()
        old_days = session.exec(select(func.count()).where(UsageDay.day < horizon.replace(hour=0))).one()
    assert 0 < pruned < 100 and kept

    outcome = recompute(batch=9)

    assert outcome.recomputed == 100 - pruned
    assert outcome.kept_buckets == {eco.LEGACY_VERSION: len(kept)}
    with db.read_scope() as session:
        assert _totals(session) | {'generation': None} == before | {'generation': None}
        still = session.exec(select(UsageHour).where(UsageHour.hour < horizon)).all()
        assert sorted((b.hour, b.model, b.requests, b.carbon_g) for b in still) == sorted(
            (b.hour, b.model, b.requests, b.carbon_g) for b in kept
        )  # untouched
        after_horizon = select(func.count()).where(UsageHour.hour >= horizon)
        assert session.exec(after_horizon.where(UsageHour.methodology_version != eco.METHODOLOGY_VERSION)).one() == 0
        # whole days before the horizon's day keep eco-1 as they were
        assert session.exec(select(func.count()).where(UsageDay.day < horizon.replace(hour=0))).one() == old_days


def test_generations_of_a_model_no_longer_in_the_catalog_are_skipped_and_counted(account_id):
    _seed_eco1(account_id, 30)
    _seed_eco1(account_id, 3, seed=9, model='retired/model-x')

    outcome = recompute(batch=8)

    assert (outcome.recomputed, outcome.unknown_models) == (30, {'retired/model-x': 3})
    with db.read_scope() as session:
        left = session.exec(select(Generation.model).where(Generation.methodology_version == eco.LEGACY_VERSION)).all()
        assert left == ['retired/model-x'] * 3
        _assert_consistent(session)  # their buckets keep eco-1, matching them
    again = recompute(batch=8)
    assert (again.to_recompute, again.recomputed, again.unknown_models) == (0, 0, {'retired/model-x': 3})


def test_a_generation_deleted_between_reading_and_writing_is_skipped(account_id, monkeypatch):
    _seed_eco1(account_id, 20)
    estimates = eco_recompute._estimates
    gone = []

    def delete_one_first(catalog, found):
        if not gone:  # retention or an account deletion takes one row of the first batch meanwhile
            gone.append(found[3]['id'])
            with db.session_scope() as session:
                session.execute(delete(Generation).where(Generation.id == gone[0]))
        return estimates(catalog, found)

    monkeypatch.setattr(eco_recompute, '_estimates', delete_one_first)
    with db.read_scope() as session:
        figures = session.exec(select(Generation.carbon_g, Generation.prompt_tokens)).all()

    outcome = recompute(batch=10)

    assert (outcome.recomputed, outcome.vanished) == (19, 1)
    with db.read_scope() as session:
        left = _per_version(session, UsageHour)[eco.LEGACY_VERSION]  # the deleted one's figures, kept as they were
        assert left[0] == 1 and left[1] in {p for _, p in figures}
        _assert_consistent(session, except_versions=(eco.LEGACY_VERSION,))


def test_one_account_only(account_id):
    other = factories.account(name='Not now').id
    _seed_eco1(account_id, 12)
    _seed_eco1(other, 9, seed=6)

    outcome = recompute(account_id=other, batch=4)

    assert (outcome.to_recompute, outcome.recomputed) == (9, 9)
    with db.read_scope() as session:
        stamps = session.exec(
            select(Generation.account_id, Generation.methodology_version, func.count()).group_by(
                Generation.account_id, Generation.methodology_version
            )
        ).all()
        assert sorted(stamps) == sorted([(account_id, eco.LEGACY_VERSION, 12), (other, eco.METHODOLOGY_VERSION, 9)])
        _assert_consistent(session)


def test_the_command_recomputes_with_a_progress_bar_and_a_summary(database_url, account_id):
    _seed_eco1(account_id, 45)
    db.dispose_all()

    first = _command(database_url, '--batch', '10')

    assert first.returncode == 0, first.stderr
    assert f'Current methodology: {eco.METHODOLOGY_VERSION}. 45 to recompute.' in first.stdout
    assert 'Recomputed 45 generations in 5 batches' in first.stdout
    bars = first.stderr.split('\r')
    assert bars[1].startswith('[------------------------------] 0 of 45 generations   0 %')
    assert '] 20 of 45 generations  44 %' in first.stderr
    assert bars[-1].strip() == '[##############################] 45 of 45 generations 100 %'
    db.init_db(database_url)
    _assert_all_current_and_exact()

    again = _command(database_url)

    assert again.returncode == 0 and again.stderr == ''
    assert '0 to recompute.' in again.stdout and 'Recomputed 0 generations in 0 batches' in again.stdout


def test_the_command_says_in_one_line_why_it_cannot_use_the_database(tmp_path):
    result = _command('nonsense://nowhere')
    assert result.returncode == 2 and result.stdout == ''
    assert result.stderr.startswith('lowrouter: ') and result.stderr.count('\n') == 1
    refused = _command('postgresql+psycopg://nobody@127.0.0.1:1/none')  # nothing listens on port 1
    assert refused.returncode == 2 and refused.stdout == '' and refused.stderr.count('\n') == 1
    assert refused.stderr.startswith('lowrouter: cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none')
    unknown = _command(f'sqlite:///{tmp_path / "x.sqlite3"}', '--account', '999')
    assert unknown.returncode == 2 and 'No such account.' in unknown.stdout


def _command(database_url: str, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, 'app.py', 'eco-recompute', '--db', database_url, *args],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    # decoded by hand: text mode would turn the bar's carriage returns into line ends
    result.stdout, result.stderr = result.stdout.decode(), result.stderr.decode()
    return result
