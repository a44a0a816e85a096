import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from services import db


def test_migrations_build_the_whole_schema_on_an_empty_database(database_url):
    fresh = db.init_db(database_url)
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


def test_upgrading_again_is_a_no_op_that_keeps_data(database_url):
    db.init_db(database_url)
    with db.session_scope() as session:
        from services.accounts import create_account

        create_account(session, name='Keep me')
    assert db.init_db(database_url) is False
    with db.session_scope() as session:
        from services.accounts import current_account

        assert current_account(session).name == 'Keep me'


@pytest.mark.parametrize(('revision', 'table'), [('0007', 'route_hour'), ('0008', 'usage_day')])
def test_a_new_rollup_is_filled_from_existing_data_by_its_migration(database_url, revision, table):
    from alembic import command

    from services.models import RouteHour, UsageDay
    from tests.services.test_rollups import _history

    model = {'route_hour': RouteHour, 'usage_day': UsageDay}[table]

    db.init_db(database_url)
    with db.session_scope() as session:
        from services.accounts import create_account

        _history(session, create_account(session, name='Old data'), count=120)
    with db.session_scope() as session:
        written = _rows(session, model)
    engine = db.get_engine()
    with engine.begin() as connection:
        config = db.alembic_config(connection)
        command.downgrade(config, revision)
        command.upgrade(config, 'head')
    with db.session_scope() as session:
        assert _rows(session, model) == written != []


def _rows(session, table):
    from sqlmodel import select

    columns = [c.name for c in table.__table__.columns if c.name != 'id']
    rows = session.exec(select(table)).all()
    return sorted(
        tuple(round(v, 9) if isinstance(v, float) else v for v in (getattr(r, c) for c in columns)) for r in rows
    )
