"""What community reads from hold-ups: registrations, attendance, facilitation.

Kindling keeps no list of who was in the room (the board is polled
anonymously), so attendance is what the board can prove: a member who held
a seat and left a trace on the live board — a note or a question that is not
hidden, or a dot. A silent participant is not counted; the page says so.
"""
from sqlalchemy import func, select, union

from app.extensions import db
from challenges.holdups.models import BoardDot, Holdup, Note, Question, Registration
from challenges.models import Challenge
from voting.models import DotRound

DEFINITIONS = {
    "registrations": "Members who registered for the hold-up, holding a seat or on the waitlist; cancelled "
                     "registrations do not count.",
    "attendance": "Registered members who took part on the live board: posted a note or a question that is "
                  "not hidden, or placed a dot. Kindling keeps no attendance list, so someone who only listened "
                  "is not counted. Before the session starts there is nothing to count.",
}


def _traces(challenge_id=None):
    """(challenge_id, user_id) of everyone who left a visible trace on a board."""
    def scoped(query, column):
        return query.where(column == challenge_id) if challenge_id is not None else query

    notes = scoped(select(Note.challenge_id, Note.author_id.label("user_id")).where(Note.status == "published"),
                   Note.challenge_id)
    questions = scoped(select(Question.challenge_id, Question.author_id.label("user_id"))
                       .where(Question.status == "published"), Question.challenge_id)
    dots = scoped(select(DotRound.challenge_id, BoardDot.user_id).join(DotRound, DotRound.id == BoardDot.round_id)
                  .where(BoardDot.count > 0), DotRound.challenge_id)
    return union(notes, questions, dots).subquery()


def attendees(challenge_id=None):
    """Select (challenge_id, user_id) of the attendees of public hold-ups whose session started."""
    traces = _traces(challenge_id)
    return (select(traces.c.challenge_id, traces.c.user_id)
            .join(Registration, (Registration.challenge_id == traces.c.challenge_id)
                  & (Registration.user_id == traces.c.user_id))
            .join(Holdup, Holdup.challenge_id == traces.c.challenge_id)
            .join(Challenge, Challenge.id == traces.c.challenge_id)
            .where(Registration.status == "registered", Holdup.started_at.is_not(None), Challenge.phase != "draft"))


def plan_figures(challenge_id):
    """{"registrations": n, "attendance": n or None before the session} for one hold-up."""
    holdup = db.session.get(Holdup, challenge_id)
    if holdup is None:
        return {"registrations": None, "attendance": None}
    attended = None
    if holdup.started_at is not None:
        attended = db.session.scalar(select(func.count()).select_from(attendees(challenge_id).subquery()))
    return {"registrations": holdup.registered_count + holdup.waiting_count, "attendance": attended}


def facilitators():
    """Members who facilitated a public hold-up session that started."""
    return (select(Holdup.facilitator_id).join(Challenge, Challenge.id == Holdup.challenge_id)
            .where(Holdup.started_at.is_not(None), Challenge.phase != "draft").distinct())


def attended_in(start, end, challenge_id=None):
    """{user_id: hold-ups taken part in} among sessions started in [start, end)."""
    rows = attendees(challenge_id).subquery()
    started = (select(rows.c.user_id, func.count()).join(Holdup, Holdup.challenge_id == rows.c.challenge_id)
               .where(Holdup.started_at >= start, Holdup.started_at < end).group_by(rows.c.user_id))
    return dict(db.session.execute(started).all())


def is_holdup(challenge):
    return challenge is not None and challenge.format == "holdup"
