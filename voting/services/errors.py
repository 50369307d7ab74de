"""What every voting service shares: VotingError (a message for people), the permission check,
and an INSERT that ignores conflicts."""
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db


class VotingError(ValueError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def conflict_insert(model):
    """A Core INSERT with ON CONFLICT on PostgreSQL and SQLite alike.

    Whether a row went in is read from RETURNING: psycopg reports no row
    count (-1) for these statements.
    """
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def require(allowed, message="You are not allowed to do that."):
    if not allowed:
        raise PermissionError(message)
