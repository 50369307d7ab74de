"""Supports, milestone ladders, dot-voting rounds and pairwise rounds.

Every count a page shows is a stored column changed in the same
transaction as the rows it counts; unique keys make double votes
impossible at the database, whatever the application does.
"""
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db


class Support(db.Model):
    """One member supports one idea: the key makes a second support impossible."""

    __tablename__ = "supports"
    __table_args__ = (Index("ix_supports_idea_created", "idea_id", "created_at"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # A keyed hash of the address it came from (never the address): the
    # anomaly job looks for new accounts sharing one.
    ip_hash: Mapped[str | None] = mapped_column(String(32))
    # Set when a merge copied this support from a duplicate: unmerging
    # removes exactly these rows, the duplicate keeps its own.
    merged_from_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"), index=True)


class MilestoneStep(db.Model):
    """One rung of a challenge's own ladder; a challenge without rungs uses the default."""

    __tablename__ = "milestone_steps"
    __table_args__ = (
        CheckConstraint("supporters > 0", name="supporters_positive"),
        CheckConstraint("days > 0", name="days_positive"),
    )

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    supporters: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)


class IdeaMilestone(db.Model):
    """Where an idea stands on its challenge's ladder.

    `reached` counts the rungs climbed (never falls back when supports are
    withdrawn, as on LEGO Ideas); `deadline_at` is when the next rung must
    be reached, indexed for the job that expires ideas.
    """

    __tablename__ = "idea_milestones"

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    reached: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    deadline_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    reached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MilestoneEvent(db.Model):
    """A recorded step of the ladder: reached, completed (to review), or expired."""

    __tablename__ = "milestone_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reached, completed, expired
    level: Mapped[int] = mapped_column(Integer)
    supporters: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class SupportAnomaly(db.Model):
    """A burst of supports from new accounts sharing addresses, for moderators to look at."""

    __tablename__ = "support_anomalies"
    __table_args__ = (Index("ix_support_anomalies_status_detected", "status", "detected_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    supports: Mapped[int] = mapped_column(Integer)  # in the window, from new accounts
    shared_ip_supports: Mapped[int] = mapped_column(Integer)  # of those, from an address used more than once
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, dismissed, confirmed


# Dot-voting (hold-ups)


class DotRound(db.Model):
    __tablename__ = "dot_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    budget: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, closed
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def is_open(self):
        return self.status == "open"


class DotBallot(db.Model):
    """What one participant spent in a round: the guarded UPDATE on `spent` enforces the budget."""

    __tablename__ = "dot_ballots"
    __table_args__ = (CheckConstraint("spent >= 0", name="spent_not_negative"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("dot_rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    spent: Mapped[int] = mapped_column(Integer, default=0)


class Dot(db.Model):
    """Dots one participant stacked on one idea."""

    __tablename__ = "dots"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("dot_rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DotTally(db.Model):
    """All dots on one idea in a round: the stored total the board shows."""

    __tablename__ = "dot_tallies"
    __table_args__ = (Index("ix_dot_tallies_round_dots", "round_id", "dots"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("dot_rounds.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    dots: Mapped[int] = mapped_column(Integer, default=0)


# Pairwise (in the spirit of All Our Ideas)


class PairwiseRound(db.Model):
    __tablename__ = "pairwise_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, closed
    opened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    vote_count: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def is_open(self):
        return self.status == "open"


class PairwiseScore(db.Model):
    """An idea's record in a round; score = (wins+1)/(wins+losses+2), stored and indexed."""

    __tablename__ = "pairwise_scores"
    __table_args__ = (
        Index("ix_pairwise_scores_round_score", "round_id", "score"),
        Index("ix_pairwise_scores_round_appearances", "round_id", "appearances"),
    )

    round_id: Mapped[int] = mapped_column(ForeignKey("pairwise_rounds.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    wins: Mapped[int] = mapped_column(Integer, default=0)
    losses: Mapped[int] = mapped_column(Integer, default=0)
    appearances: Mapped[int] = mapped_column(Integer, default=0)  # votes it took part in, "can't decide" included
    score: Mapped[float] = mapped_column(Float, default=0.5)


class PairwiseVote(db.Model):
    """One answer; a member answers a given pair once (either way round)."""

    __tablename__ = "pairwise_votes"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "low_id", "high_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("pairwise_rounds.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    low_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    high_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    winner_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))  # None: can't decide
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
