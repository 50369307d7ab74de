"""Hold-up details, agenda, registrations and the live board.

Every change to what the board shows bumps `Holdup.version` in the same
transaction, so a poll answers "unchanged" by reading one integer.
Counts (registered, waiting, dots) are stored columns moved in SQL.
"""
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.auth.models import User
from app.extensions import db

DEFAULT_DURATION = 120
DEFAULT_CAPACITY = 15

# kind, title, minutes, instructions (PRODUCT.md: the editable template)
STEP_KINDS = {
    "pitch": "Pitch",
    "questions": "Questions",
    "diverge": "Diverge",
    "cluster": "Cluster",
    "dotvote": "Dot-vote",
    "actions": "Action plan",
    "wrapup": "Wrap-up",
    "other": "Other",
}
DEFAULT_AGENDA = (
    ("pitch", "Pitch", 15, "The entrepreneur presents the problem. Write down your questions."),
    ("questions", "Questions", 10, "Ask what you need to understand the problem; the facilitator marks answers."),
    ("diverge", "Diverge", 25, "Post as many short ideas as you can, one per note. Quantity over quality."),
    ("cluster", "Cluster", 15, "Group similar notes into named clusters."),
    ("dotvote", "Dot-vote", 10, "Spend your dots on the notes or clusters you believe in. Totals show once the vote closes."),
    ("actions", "Action plan", 30, "Turn the top clusters into actions: what, who, by when."),
    ("wrapup", "Wrap-up", 15, "What do we take away? The facilitator ends the session."),
)

HOLDUP_STATUSES = ("scheduled", "live", "paused", "ended")
REGISTRATION_STATUSES = ("registered", "waiting", "cancelled")


class Holdup(db.Model):
    """The details of a challenge of format "holdup", and the live state of its session."""

    __tablename__ = "holdups"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("registered_count >= 0", name="registered_not_negative"),
        CheckConstraint("waiting_count >= 0", name="waiting_not_negative"),
    )

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # UTC
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")  # IANA name: what the organiser chose
    duration_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_DURATION)
    capacity: Mapped[int] = mapped_column(Integer, default=DEFAULT_CAPACITY)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    public_can_watch: Mapped[bool] = mapped_column(default=True)
    participants_cluster: Mapped[bool] = mapped_column(default=False)
    dot_budget: Mapped[int] = mapped_column(Integer, default=3)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    # Position (from 1) of the current agenda step; 0 before the start.
    current_step: Mapped[int] = mapped_column(Integer, default=0)
    step_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Minutes the facilitator added (or removed) on the current step, in seconds.
    step_extra_seconds: Mapped[int] = mapped_column(Integer, default=0)
    paused_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    dot_round_id: Mapped[int | None] = mapped_column(ForeignKey("dot_rounds.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    registered_count: Mapped[int] = mapped_column(Integer, default=0)
    waiting_count: Mapped[int] = mapped_column(Integer, default=0)
    follow_up: Mapped[str] = mapped_column(Text, default="")
    follow_up_html: Mapped[str] = mapped_column(Text, default="")
    follow_up_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    facilitator: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_live(self):
        return self.status in ("live", "paused")

    @property
    def has_ended(self):
        return self.status == "ended"


class AgendaStep(db.Model):
    __tablename__ = "holdup_steps"
    __table_args__ = (Index("ix_holdup_steps_challenge_position", "challenge_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # from 1
    kind: Mapped[str] = mapped_column(String(20), default="other")
    title: Mapped[str] = mapped_column(String(80))
    minutes: Mapped[int] = mapped_column(Integer)
    instructions: Mapped[str] = mapped_column(String(500), default="")
    # How long the step really took: the first start and the last end.
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seconds_spent: Mapped[int] = mapped_column(Integer, default=0)

    @property
    def kind_label(self):
        return STEP_KINDS.get(self.kind, "Other")


class Registration(db.Model):
    __tablename__ = "holdup_registrations"
    __table_args__ = (
        UniqueConstraint("challenge_id", "user_id"),
        Index("ix_holdup_registrations_queue", "challenge_id", "status", "queued_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10))  # registered, waiting, cancelled
    # Waitlist order: when the member (last) asked for a seat.
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The member agrees to be named in the report.
    credited: Mapped[bool] = mapped_column(default=True)

    user: Mapped[User] = relationship(lazy="raise_on_sql")


class Question(db.Model):
    __tablename__ = "holdup_questions"
    __table_args__ = (Index("ix_holdup_questions_challenge_created", "challenge_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    answered: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="published")  # published, hidden
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    author: Mapped[User] = relationship(lazy="raise_on_sql")


class Cluster(db.Model):
    __tablename__ = "holdup_clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    dots: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))  # promoted to
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class Note(db.Model):
    """A sticky note posted during diverge; it belongs to at most one cluster."""

    __tablename__ = "holdup_notes"
    __table_args__ = (
        Index("ix_holdup_notes_challenge_created", "challenge_id", "created_at"),
        Index("ix_holdup_notes_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="published")  # published, hidden
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("holdup_clusters.id", ondelete="SET NULL"), index=True)
    dots: Mapped[int] = mapped_column(Integer, default=0)
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))  # promoted to
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    author: Mapped[User] = relationship(lazy="raise_on_sql")


class NoteMove(db.Model):
    """A note moved between clusters: the undo stack of the cluster step."""

    __tablename__ = "holdup_note_moves"
    __table_args__ = (Index("ix_holdup_note_moves_challenge_id", "challenge_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("holdup_notes.id", ondelete="CASCADE"))
    from_cluster_id: Mapped[int | None] = mapped_column(ForeignKey("holdup_clusters.id", ondelete="SET NULL"))
    to_cluster_id: Mapped[int | None] = mapped_column(ForeignKey("holdup_clusters.id", ondelete="SET NULL"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    undone: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class BoardDot(db.Model):
    """Dots one participant stacked on a note or a cluster, in voting's dot round.

    The budget itself is voting's DotBallot (the guarded UPDATE on `spent`).
    """

    __tablename__ = "holdup_dots"
    __table_args__ = (CheckConstraint("count >= 0", name="count_not_negative"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("dot_rounds.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # note, cluster
    target_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Action(db.Model):
    __tablename__ = "holdup_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"), index=True)
    what: Mapped[str] = mapped_column(String(280))
    who_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date] = mapped_column(Date)
    cluster_id: Mapped[int | None] = mapped_column(ForeignKey("holdup_clusters.id", ondelete="SET NULL"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    who: Mapped[User] = relationship(foreign_keys=[who_id], lazy="raise_on_sql")


class Message(db.Model):
    """What the owner told registered (and waiting) members; also sent as holdup_message."""

    __tablename__ = "holdup_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("holdups.challenge_id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    audience: Mapped[str] = mapped_column(String(10))  # registered, waiting, all
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class MemberTimeZone(db.Model):
    """A member's own time zone (a profile setting): every page shows times in it."""

    __tablename__ = "member_time_zones"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    time_zone: Mapped[str] = mapped_column(String(64))
