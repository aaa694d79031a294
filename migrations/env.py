"""Alembic environment: targets content_queue's metadata; the engine comes from xensocial.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Engine

from content_queue.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        from content_queue.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError(
                "set sqlalchemy.url, or run migrations through `xensocial db upgrade`"
            )
        engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run `xensocial db upgrade`")
run_migrations_online()
