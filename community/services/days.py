"""What every community service shares: UTC days and months, raw reads, idempotent inserts."""
from datetime import UTC, datetime, timedelta

from app import clock
from app.extensions import db

CHUNK = 500  # ids per IN list in the jobs


def day_start(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def day_of(moment):
    return clock.aware(moment).astimezone(UTC).date()


def week_of(day):
    """The Monday of the day's ISO week."""
    return day - timedelta(days=day.weekday())


def month_of(day):
    return day.replace(day=1)


def next_month(month):
    return (month + timedelta(days=32)).replace(day=1)


def today():
    return clock.now().date()


def core(statement):
    """Run a read on the session's connection without the ORM's per-row work (big grouped results)."""
    db.session.flush()
    return db.session.connection().execute(statement)


def insert_ignore(model, rows):
    """Insert rows, skipping those whose key exists (two requests may report the same item)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    db.session.execute(dialect_insert(model).on_conflict_do_nothing(), rows)
