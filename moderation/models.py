"""Flags, the moderation queue, appeals, watched words and the audit log.

Items (ideas and comments) are referred to by (item_kind, item_id): the
queue, flags and the log hold both kinds in one table each.
"""
import json
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app import clock
from app.auth.models import User
from app.extensions import db

ITEM_KINDS = ("idea", "comment")
FLAG_REASONS = {
    "spam": "Spam",
    "offensive": "Offensive",
    "off_topic": "Off-topic",
    "duplicate": "Duplicate",
    "other": "Other",
}
REJECT_REASONS = {
    "spam": "Spam or advertising",
    "offensive": "Offensive or disrespectful",
    "off_topic": "Off-topic for this challenge",
    "duplicate": "Duplicate of an existing idea",
    "norms": "Breaks the challenge's norms",
    "other": "Other (see the note)",
}
CASE_REASONS = {
    "pending": "Awaiting approval",
    "flagged": "Flagged",
    "watched": "Watched word",
    "appeal": "Appeal",
    "vote_anomaly": "Vote anomaly",
    "edit": "Edit awaiting approval",
}
WATCH_ACTIONS = {
    "block": "Block the post with a message",
    "queue": "Send it to the moderation queue",
    "flag": "Publish it flagged",
}


class ModerationCase(db.Model):
    """One item waiting for a decision. An item has at most one open case;
    closing it is a conditional UPDATE, so two moderators cannot both decide it."""

    __tablename__ = "moderation_cases"
    __table_args__ = (
        Index("ix_moderation_cases_open_item", "item_kind", "item_id", unique=True,
              sqlite_where=text("decided_at IS NULL"), postgresql_where=text("decided_at IS NULL")),
        # The queue's orders, over open cases only: a decided case leaves these indexes.
        Index("ix_moderation_cases_open_oldest", "opened_at", "id",
              sqlite_where=text("decided_at IS NULL"), postgresql_where=text("decided_at IS NULL")),
        Index("ix_moderation_cases_open_flags", "flag_count", "opened_at",
              sqlite_where=text("decided_at IS NULL"), postgresql_where=text("decided_at IS NULL")),
        Index("ix_moderation_cases_open_challenge", "challenge_id", "opened_at",
              sqlite_where=text("decided_at IS NULL"), postgresql_where=text("decided_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int]
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    flag_count: Mapped[int] = mapped_column(default=0)
    appeal_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_appeals.id"))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision: Mapped[str | None] = mapped_column(String(20))

    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="raise_on_sql")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id], lazy="raise_on_sql")

    @property
    def reason_label(self):
        return CASE_REASONS.get(self.reason, self.reason)


class Flag(db.Model):
    __tablename__ = "moderation_flags"
    __table_args__ = (UniqueConstraint("item_kind", "item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    user: Mapped[User] = relationship(lazy="raise_on_sql")

    @property
    def reason_label(self):
        return FLAG_REASONS.get(self.reason, self.reason)


class Appeal(db.Model):
    """An author contests a rejection, once per item."""

    __tablename__ = "moderation_appeals"
    __table_args__ = (UniqueConstraint("item_kind", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(10))
    item_id: Mapped[int]
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    outcome: Mapped[str | None] = mapped_column(String(20))  # granted / upheld


class WatchedWord(db.Model):
    __tablename__ = "watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A word (matched whole, any case) or, with is_regex, a regular expression.
    pattern: Mapped[str] = mapped_column(String(200), unique=True)
    is_regex: Mapped[bool] = mapped_column(default=False)
    action: Mapped[str] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def action_label(self):
        return WATCH_ACTIONS[self.action]


class AuditEntry(db.Model):
    """Who did what, when, why, and the state before and after. Append-only."""

    __tablename__ = "moderation_log"
    __table_args__ = (
        Index("ix_moderation_log_created", "created_at"),
        Index("ix_moderation_log_item", "item_kind", "item_id"),
        Index("ix_moderation_log_actor", "actor_id", "created_at"),
        Index("ix_moderation_log_subject", "subject_id", "action"),
        Index("ix_moderation_log_challenge", "challenge_id", "created_at"),
        Index("ix_moderation_log_waits", "created_at", "wait_seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    # None: the system acted (three flags hid an item, a watched word held it).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30))
    item_kind: Mapped[str | None] = mapped_column(String(10))
    item_id: Mapped[int | None]
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenges.id", ondelete="SET NULL"))
    # The member the action concerns: the author of the item, or the suspended member.
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    before_json: Mapped[str] = mapped_column(Text, default="{}")
    after_json: Mapped[str] = mapped_column(Text, default="{}")
    # The queue case this decided, when there was one, and how long it waited:
    # stored, so the median time to decision is one indexed query.
    case_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wait_seconds: Mapped[int | None]

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="raise_on_sql")
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id], lazy="raise_on_sql")

    @property
    def before(self):
        return json.loads(self.before_json or "{}")

    @property
    def after(self):
        return json.loads(self.after_json or "{}")


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_history(mapper, connection, target):
    raise AuditLogIsAppendOnly("The moderation log cannot be edited or deleted.")


__all__ = ["Appeal", "AuditEntry", "Flag", "ModerationCase", "WatchedWord"]
