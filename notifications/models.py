from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db

DELIVERIES = ("immediately", "daily", "weekly", "off")


class Notification(db.Model):
    """One thing a member hears about. In-app always; by e-mail as their preference says."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        # Digests look for the e-mail-less rows of one delivery.
        Index("ix_notifications_delivery_email", "delivery", "email_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(300), default="")
    idea_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    # How many events this row stands for (a moderator's "3 new items in your queue").
    count: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The member's preference for this kind when it was created; "off" means in-app only.
    delivery: Mapped[str] = mapped_column(String(12), default="immediately")
    email_id: Mapped[int | None] = mapped_column(ForeignKey("outgoing_emails.id", ondelete="SET NULL"))

    @property
    def is_unread(self):
        return self.read_at is None


class NotificationPreference(db.Model):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    delivery: Mapped[str] = mapped_column(String(12))


class OutgoingEmail(db.Model):
    """One e-mail. `key` makes it once-only (a notification, or one digest per member per day or week);
    `sent_at` is set only after the SMTP server accepted the message."""

    __tablename__ = "outgoing_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # immediately, daily, weekly
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Nothing left to say when it was due (content hidden since): never sent empty.
    skipped: Mapped[bool] = mapped_column(default=False)
    subject: Mapped[str] = mapped_column(String(200), default="")
    last_error: Mapped[str] = mapped_column(Text, default="")
