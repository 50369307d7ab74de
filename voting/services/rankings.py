"""The hot score: rescoring ideas as activity ages, and the warmth comments add."""
import math
from datetime import timedelta

from sqlalchemy import literal, select
from sqlalchemy.orm.attributes import set_committed_value

from app import clock
from app.extensions import db
from challenges.models import Comment, Idea
from challenges.services.ideas import refresh_hot_score
from voting.models import Support

COMMENT_WEIGHT = 0.5
HOT_HORIZON = timedelta(days=45)  # older activity weighs under 2**-15: left out of rescoring


def rescore_hot(now=None, batch=500):
    """The periodic part: recompute from rows the hot score of ideas active within the horizon.

    Scores are also moved on every support and comment; this washes out
    rounding and anything an interrupted request missed. Returns how many.
    """
    now = now or clock.now()
    since = now - HOT_HORIZON
    ids = list(db.session.scalars(
        select(Idea.id).where(Idea.is_public.is_(True), Idea.last_activity_at >= since).order_by(Idea.id)
    ))
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        ideas = {i.id: i for i in db.session.scalars(select(Idea).where(Idea.id.in_(chunk)))}
        scores = {}
        for idea in ideas.values():
            scores[idea.id] = idea.hot_score
            idea.hot_score = 0.0
            refresh_hot_score(idea, now)
        activity = db.session.execute(
            select(Support.idea_id, Support.created_at, literal(1.0))
            .where(Support.idea_id.in_(chunk), Support.created_at >= since)
            .union_all(select(Comment.idea_id, Comment.created_at, literal(COMMENT_WEIGHT)).where(
                Comment.idea_id.in_(chunk), Comment.status == "published", Comment.created_at >= since))
        )
        for idea_id, at, weight in activity:
            refresh_hot_score(ideas[idea_id], now, weight=weight, at=at)
        for idea in ideas.values():
            if math.isclose(idea.hot_score, scores[idea.id] or 0.0, abs_tol=1e-9):
                set_committed_value(idea, "hot_score", scores[idea.id])
        db.session.flush()
    return len(ids)


def heat_for_comment(idea_id, status):
    """A comment posted published warms its idea."""
    if status == "published":
        idea = db.session.get(Idea, idea_id)
        refresh_hot_score(idea, weight=COMMENT_WEIGHT, at=clock.now())


def heat_for_comment_status(comment_id, idea_id, before, after):
    """A comment shown warms its idea; one hidden or deleted takes back the warmth it gave."""
    if (before == "published") == (after == "published"):
        return
    idea = db.session.get(Idea, idea_id)
    comment = db.session.get(Comment, comment_id)
    sign = 1 if after == "published" else -1
    refresh_hot_score(idea, weight=sign * COMMENT_WEIGHT, at=comment.created_at if sign < 0 else clock.now())
