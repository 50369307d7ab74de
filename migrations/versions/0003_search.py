"""search: PostgreSQL full-text columns (generated, weighted tsvector) and GIN indexes

Revision ID: 0003
Revises: 0004
Create Date: 2026-12-02 19:00:00

PostgreSQL only: on SQLite this migration does nothing (search uses whoosh
there). The columns are not in the models; search.postgres.include_object
keeps autogenerate from proposing to drop them.
"""
from alembic import op

from search import postgres

revision = '0003'
down_revision = '0005'  # chain: 0001 → 0002 → 0004 → 0005 → 0003 → 0006
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in postgres.statements():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in postgres.VECTORS:
        op.execute(f"DROP INDEX IF EXISTS ix_{table}_{postgres.COLUMN}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {postgres.COLUMN}")
    op.execute(postgres.DROP_CONFIG)
