"""Alembic environment: always run by nntrace_service.store.engine.upgrade with a connection
(``config.attributes["connection"]``); there is no alembic.ini to run it from."""

from __future__ import annotations

from alembic import context

from nntrace_service.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
