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


def test_the_route_rollup_migration_fills_it_from_existing_generations(database_url):
    from alembic import command

    from services.models import RouteHour
    from tests.services.test_rollups import _history

    db.init_db(database_url)
    with db.session_scope() as session:
        from services.accounts import create_account

        _history(session, create_account(session, name='Old data'), count=120)
    with db.session_scope() as session:
        written = _route_rows(session, RouteHour)
    engine = db.get_engine()
    with engine.begin() as connection:
        config = db.alembic_config(connection)
        command.downgrade(config, '0007')
        command.upgrade(config, 'head')
    with db.session_scope() as session:
        assert _route_rows(session, RouteHour) == written != []


def _route_rows(session, table):
    from sqlmodel import select

    rows = session.exec(select(table)).all()
    return sorted((r.account_id, r.hour, r.api_key_id, r.requested_model, r.model, r.region, r.requests) for r in rows)
