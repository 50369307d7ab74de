"""Supports: giving and withdrawing them, the stored supporter count, moving them on merge, and recounts."""
import hashlib
import hmac

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import clock, permissions, signals
from app.extensions import db
from challenges.models import Challenge, Idea
from challenges.services.ideas import hot_score_after
from voting.models import Support
from voting.services.errors import VotingError, conflict_insert
from voting.services.milestones import climb, deadline_passed, milestone_and_ladder, uses_ladder


def ip_fingerprint(address):
    """A keyed hash: enough to see that two supports came from one address, never the address."""
    if not address:
        return None
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]


def supports(user, idea):
    return permissions.can_contribute(user) and db.session.get(Support, (user.id, idea.id)) is not None


def supported_ids(user, idea_ids):
    """The ids among `idea_ids` that `user` supports, in one query (none for visitors)."""
    idea_ids = list(idea_ids)
    if not idea_ids or not permissions.is_signed_in(user):
        return set()
    return set(db.session.scalars(
        select(Support.idea_id).where(Support.user_id == user.id, Support.idea_id.in_(idea_ids))
    ))


def support_idea(user, idea, challenge, ip=None):
    """Support `idea`. Returns False when the member already supports it (nothing changes)."""
    now = clock.now()
    permissions.require(permissions.can_contribute(user, now))
    permissions.require(permissions.can_view_idea(user, idea, challenge))
    permissions.require(permissions.can_support(user, idea, challenge, now), error=VotingError)
    row, steps = milestone_and_ladder(idea, challenge) if uses_ladder(challenge) else (None, None)
    if deadline_passed(idea, challenge, now, row=row, steps=steps):
        raise VotingError("Time ran out for this idea: it missed its milestone deadline.")
    inserted = db.session.execute(
        conflict_insert(Support)
        .values(user_id=user.id, idea_id=idea.id, created_at=now, ip_hash=ip_fingerprint(ip))
        .on_conflict_do_nothing().returning(Support.__table__.c.user_id)
    ).first()
    if inserted is None:
        return False
    count = _bump_supporters(idea, +1, now, hot=hot_score_after(idea, weight=1, at=now))
    climb(idea, challenge, count, now, row=row, steps=steps)
    db.session.flush()
    signals.idea_supported.send(idea, idea_id=idea.id, user_id=user.id, supporters=count)
    return True


def withdraw_support(user, idea, challenge):
    """Withdraw a support while the idea gathers. Returns False when there was none."""
    permissions.require(permissions.can_contribute(user))
    permissions.require(permissions.can_view_idea(user, idea, challenge))
    permissions.require(permissions.can_change_support(user, idea, challenge), error=VotingError)
    removed = db.session.execute(
        delete(Support).where(Support.user_id == user.id, Support.idea_id == idea.id).returning(Support.created_at)
    ).scalar()
    if removed is None:
        return False
    count = _bump_supporters(idea, -1, hot=hot_score_after(idea, weight=-1, at=clock.aware(removed)))
    db.session.flush()
    signals.idea_support_withdrawn.send(idea, idea_id=idea.id, user_id=user.id, supporters=count)
    return True


def _bump_supporters(idea, delta, now=None, hot=None):
    """Move the stored count in SQL, and the hot score, in one UPDATE of the idea's row.

    The count moves relative to what the row holds. The hot score is computed
    from the idea as loaded: the vote's loader (idea_with_challenge with
    for_vote) locked the row on PostgreSQL, and on SQLite the transaction
    began IMMEDIATE, so what was loaded is what is there. The idea must still
    be gathering when the lock is held: a support racing the one that sent it
    to review is refused (the caller rolls back).
    """
    values = {"supporter_count": Idea.supporter_count + delta}
    if hot is not None:
        values["hot_score"] = hot
    if now is not None:
        values["last_activity_at"] = now
    row = db.session.execute(
        update(Idea).where(Idea.id == idea.id, Idea.status == "published").values(**values)
        .returning(Idea.supporter_count, Idea.hot_score)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        raise VotingError("This idea is no longer gathering support.")
    count, hot = row
    # What the database now holds, without marking the idea changed.
    set_committed_value(idea, "supporter_count", count)
    set_committed_value(idea, "hot_score", hot)
    if now is not None:
        set_committed_value(idea, "last_activity_at", now)
    return count


def move_supports_on_merge(source_id, target_id):
    """Copy the duplicate's supporters onto the target, skipping anyone already counted there.

    The duplicate keeps its own rows (it is hidden while merged), and each
    copy remembers where it came from, so unmerging removes exactly the
    copies. Returns the ids of members whose support moved.
    """
    target = db.session.get(Idea, target_id)
    if target is None:
        return []
    already = select(Support.user_id).where(Support.idea_id == target_id)
    moved = list(db.session.scalars(
        select(Support.user_id).where(
            Support.idea_id == source_id, Support.user_id.notin_(already), Support.user_id != target.author_id
        ).order_by(Support.user_id)
    ))
    if not moved:
        return []
    rows = db.session.execute(
        select(Support.user_id, Support.created_at, Support.ip_hash)
        .where(Support.idea_id == source_id, Support.user_id.in_(moved))
    ).all()
    db.session.execute(conflict_insert(Support).values([
        {"user_id": uid, "idea_id": target_id, "created_at": at, "ip_hash": ip, "merged_from_id": source_id}
        for uid, at, ip in rows
    ]).on_conflict_do_nothing())
    # Count the rows actually there: a member who supported the target meanwhile is counted once.
    _recount_idea(target)
    challenge = db.session.get(Challenge, target.challenge_id)
    if target.status == "published":
        climb(target, challenge, target.supporter_count, clock.now())
    return moved


def restore_supports_on_unmerge(source_id, target_id):
    """Undo a merge: remove the copies from the target. Returns the ids of members concerned."""
    target = db.session.get(Idea, target_id)
    if target is None:
        return []
    removed = list(db.session.scalars(
        delete(Support).where(Support.idea_id == target_id, Support.merged_from_id == source_id)
        .returning(Support.user_id)
    ))
    if removed:
        _recount_idea(target)
    return sorted(removed)


def _recount_idea(idea):
    count = db.session.execute(
        update(Idea).where(Idea.id == idea.id)
        .values(supporter_count=select(func.count()).where(Support.idea_id == idea.id).scalar_subquery())
        .returning(Idea.supporter_count)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    set_committed_value(idea, "supporter_count", count)
    return count


def recount_supports(fix=True):
    """Compare every stored supporter count with its rows; repair drift. Returns [(idea_id, stored, actual)]."""
    actual = select(func.count()).where(Support.idea_id == Idea.id).scalar_subquery()
    drift = db.session.execute(
        select(Idea.id, Idea.supporter_count, actual).where(Idea.supporter_count != actual).order_by(Idea.id)
    ).all()
    if fix and drift:
        db.session.execute(
            update(Idea).where(Idea.id.in_([row[0] for row in drift])).values(supporter_count=actual)
            .execution_options(synchronize_session=False)
        )
    return [tuple(row) for row in drift]


def idea_with_challenge(idea_id, for_vote=False):
    """What a vote needs, in one query (the idea page's loader also fetches tags and parents).

    `for_vote`: the idea's row is locked on PostgreSQL (FOR UPDATE OF ideas),
    so the hot score computed from it is current; on SQLite the writing
    transaction began IMMEDIATE and already holds the lock."""
    query = select(Idea).options(joinedload(Idea.challenge)).where(Idea.id == idea_id)
    if for_vote and db.session.get_bind().dialect.name != "sqlite":
        query = query.with_for_update(of=Idea)
    return db.session.scalar(query)


def ideas_by_id(ids):
    """Ideas with their authors, keyed by id, in one query."""
    return {i.id: i for i in db.session.scalars(
        select(Idea).options(joinedload(Idea.author)).where(Idea.id.in_(list(ids))))}
