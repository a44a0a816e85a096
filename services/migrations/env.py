"""Alembic environment: runs on the connection handed over by services.db.upgrade (or a URL for the CLI)."""

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import services.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config


def run() -> None:
    connection = config.attributes.get('connection')
    if connection is None:
        with create_engine(config.get_main_option('sqlalchemy.url')).connect() as connection:
            _migrate(connection)
            connection.commit()
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == 'sqlite',
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
