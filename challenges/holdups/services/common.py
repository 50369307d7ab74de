"""What every hold-up service shares: the error, loading, locking, the board version."""
from functools import cache

from sqlalchemy import bindparam, select, update

from app.extensions import db
from app.permissions import Refused
from challenges.holdups.models import Holdup, Registration


class HoldupError(Refused):
    """A hold-up rule refused the request: the message goes beside `field` (422)."""

    status = 422


def require(allowed, message="You are not allowed to do that."):
    if not allowed:
        raise PermissionError(message)


def get_holdup(challenge):
    if challenge is None or challenge.format != "holdup":
        return None
    return db.session.get(Holdup, challenge.id)


def lock_holdup(challenge_id):
    """The hold-up row, locked until commit (PostgreSQL; SQLite writers are serialized by BEGIN IMMEDIATE).

    Registration changes take it first, so seats and the waitlist move one change at a time.
    """
    return db.session.execute(
        select(Holdup).where(Holdup.challenge_id == challenge_id).with_for_update()
        .execution_options(populate_existing=True)
    ).unique().scalar_one()


def bump(challenge_id):
    """Every change the board shows moves the version in the same transaction: polls compare it."""
    db.session.execute(update(Holdup).where(Holdup.challenge_id == challenge_id)
                       .values(version=Holdup.version + 1).execution_options(synchronize_session=False))


def registration_of(user, challenge_id):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(_registration_statement(), {"challenge_id": challenge_id, "user_id": user.id})


@cache
def _registration_statement():
    # Built once: every board poll asks.
    return select(Registration).where(Registration.challenge_id == bindparam("challenge_id"),
                                      Registration.user_id == bindparam("user_id"))


def check_text(text, field, limit, what):
    from app.forms import unprintable

    text = (text or "").strip()
    if not text:
        raise HoldupError(f"Write the {what} first.", field)
    if len(text) > limit:
        raise HoldupError(f"Keep the {what} under {limit:,} characters (this one has {len(text):,}).", field)
    if unprintable(text, multiline=True):
        raise HoldupError("Remove the control or invisible characters.", field)
    return text
