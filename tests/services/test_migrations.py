import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from services import db


def test_migrations_build_the_whole_schema_on_an_empty_database(empty_database_url):
    fresh = db.init_db(empty_database_url)
    engine = db.get_engine()
    assert fresh
    tables = set(inspect(engine).get_table_names())
    assert {
        'account',
        'api_key',
        'generation',
        'usage_hour',
        'ledger_entry',
        'receipt',
        'invoice',
        'routing_policy',
    } <= tables
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def test_upgrading_again_is_a_no_op_that_keeps_data(empty_database_url):
    db.init_db(empty_database_url)
    with db.session_scope() as session:
        from services.account.accounts import create_account

        create_account(session, name='Keep me')
    assert db.init_db(empty_database_url) is False
    with db.session_scope() as session:
        from services.account.accounts import current_account

        assert current_account(session).name == 'Keep me'


@pytest.mark.parametrize(('revision', 'table'), [('0007', 'route_hour'), ('0008', 'usage_day')])
def test_a_new_rollup_is_filled_from_existing_data_by_its_migration(empty_database_url, revision, table):
    from alembic import command

    from services.models import RouteHour, UsageDay
    from tests.services.test_rollups import _history

    model = {'route_hour': RouteHour, 'usage_day': UsageDay}[table]

    db.init_db(empty_database_url)
    with db.session_scope() as session:
        from services.account.accounts import create_account

        _history(session, create_account(session, name='Old data'), count=120)
    # going below 0012 drops its eco-2 columns (embodied sums), which the way back up cannot know again
    later = {'embodied_g_low', 'embodied_g', 'embodied_g_high'}
    with db.session_scope() as session:
        written = _rows(session, model, later)
    engine = db.get_engine()
    with engine.begin() as connection:
        config = db.alembic_config(connection)
        command.downgrade(config, revision)
        command.upgrade(config, 'head')
    with db.session_scope() as session:
        assert _rows(session, model, later) == written != []


def _rows(session, table, skip=frozenset()):
    from sqlmodel import select

    columns = [c.name for c in table.__table__.columns if c.name != 'id' and c.name not in skip]
    rows = session.exec(select(table)).all()
    return sorted(
        tuple(round(v, 9) if isinstance(v, float) else v for v in (getattr(r, c) for c in columns)) for r in rows
    )


def test_upgrading_from_eco1_keeps_its_records_readable_with_empty_eco2_columns(empty_database_url):
    """0011 -> 0012 on a database holding an eco-1 record and its rollups: nothing is lost, the new sums are 0
    and pue/grid_basis NULL, and the longer eco-2 stamp fits afterwards."""
    from datetime import UTC, datetime

    from alembic import command
    from sqlalchemy import MetaData, Table, insert, select

    from services.account.accounts import create_account
    from services.models import Generation, UsageDay, UsageHour

    db.init_db(empty_database_url)
    with db.session_scope() as session:
        account_id = create_account(session, name='Eco-1 data').id
    engine = db.get_engine()
    at = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    eco1 = 'eco-1 (EcoLogits 0.11.3)'
    record = dict(
        id='gen-eco1', account_id=account_id, created_at=at, requested_model='openai/gpt-4o-mini',
        model='openai/gpt-4o-mini', provider='openai', region='us-east-1', prompt_tokens=812, completion_tokens=240,
        total_tokens=1052, latency_ms=1830, status='completed', cost_micros=266, currency='USD',
        energy_wh_low=0.1, energy_wh=0.2, energy_wh_high=0.3, carbon_g_low=0.04, carbon_g=0.08, carbon_g_high=0.12,
        grid_intensity_g_per_kwh=400.0, methodology_version=eco1, estimated=False,
    )  # fmt: skip
    bucket = dict(
        account_id=account_id, api_key_id=0, model='openai/gpt-4o-mini', provider='openai', region='us-east-1',
        methodology_version=eco1, requests=1, prompt_tokens=812, completion_tokens=240, cost_micros=266,
        energy_wh_low=0.1, energy_wh=0.2, energy_wh_high=0.3, carbon_g_low=0.04, carbon_g=0.08, carbon_g_high=0.12,
        estimated_requests=0, estimated_energy_wh=0.0,
    )  # fmt: skip
    with engine.begin() as connection:
        command.downgrade(db.alembic_config(connection), '0011')
    with engine.begin() as connection:
        old = MetaData()
        tables = {
            name: Table(name, old, autoload_with=connection) for name in ('generation', 'usage_hour', 'usage_day')
        }
        assert 'embodied_g' not in tables['generation'].c and 'grid_basis' not in tables['generation'].c
        connection.execute(insert(tables['generation']), record)
        connection.execute(insert(tables['usage_hour']), bucket | {'hour': at.replace(minute=0)})
        connection.execute(insert(tables['usage_day']), bucket | {'day': at.replace(hour=0, minute=0)})
    assert db.init_db(empty_database_url) is False  # the start-up upgrade, from 0011 to head
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []
    with db.session_scope() as session:
        g = session.get(Generation, 'gen-eco1')
        assert (g.methodology_version, g.energy_wh, g.carbon_g, g.cost_micros, g.latency_ms) == (
            eco1,
            0.2,
            0.08,
            266,
            1830,
        )
        assert (g.embodied_g_low, g.embodied_g, g.embodied_g_high, g.input_energy_wh) == (0.0, 0.0, 0.0, 0.0)
        assert (g.pue, g.grid_basis) == (None, None)
        for table in (UsageHour, UsageDay):
            row = session.exec(select(table)).scalars().one()
            assert (row.methodology_version, row.requests, row.carbon_g) == (eco1, 1, 0.08)
            assert (row.embodied_g_low, row.embodied_g, row.embodied_g_high) == (0.0, 0.0, 0.0)
        longer = 'eco-2 · EcoLogits 0.11.3 · data 3f2a1b9c'.ljust(79, '.') + 'x'  # 80 characters: fits now
        g.methodology_version = longer
        session.add(g)
    with db.session_scope() as session:
        assert session.get(Generation, 'gen-eco1').methodology_version == longer
