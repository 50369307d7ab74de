"""What every voting service shares: VotingError (a message for people) and an INSERT that ignores conflicts."""
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.permissions import Refused


class VotingError(Refused):
    """A vote that cannot be cast as asked: the message says why (and `field`, which form field)."""

    status = 422


def conflict_insert(model):
    """A Core INSERT with ON CONFLICT on PostgreSQL and SQLite alike.

    Whether a row went in is read from RETURNING: psycopg reports no row
    count (-1) for these statements.
    """
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)
