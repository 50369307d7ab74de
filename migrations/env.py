"""Alembic environment for Flask-Migrate: the app's engine and metadata."""
import logging

from alembic import context
from flask import current_app

from search.postgres import include_object

if not logging.getLogger().handlers:  # `flask db …` from a shell: show progress
    logging.basicConfig(level=logging.INFO, format="%(levelname)-5s [%(name)s] %(message)s")
log = logging.getLogger("alembic.env")
config = context.config
target_db = current_app.extensions["migrate"].db
options = current_app.extensions["migrate"].configure_args
# Objects that exist on one database only (PostgreSQL's full-text columns) are not model drift.
options.setdefault("include_object", include_object)


def run_migrations_offline():
    context.configure(
        url=target_db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_db.metadata,
        literal_binds=True,
        **options,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def skip_empty_revisions(context_, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            log.info("No changes in the models; no migration written.")

    options.setdefault("process_revision_directives", skip_empty_revisions)
    with target_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **options)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
