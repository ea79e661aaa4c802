"""Alembic environment: the app's metadata and engine."""

from __future__ import annotations

import warnings
from logging.config import fileConfig

from alembic import context
from sqlalchemy.exc import SAWarning

from app.core.db import Base, make_engine
from app.models import load_all_models

config = context.config
if config.config_file_name is not None and not getattr(config, "_agora_quiet", False):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

load_all_models()
# Batch migrations on SQLite reflect the tables a changed table refers to;
# SQLAlchemy cannot reflect the lower(email) / lower(name) expression indexes
# and says so. Batch mode never rebuilds those tables, so nothing is lost.
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index",
                        category=SAWarning)
target_metadata = Base.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # Full-text search shadow tables are managed by hand-written migrations.
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    return True


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
