from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app import clock
from app.extensions import db
from app.limits import DISPLAY_NAME_MAX, EMAIL_MAX, USERNAME_MAX
from app.tags import Tag

user_skills = Table(
    "user_skills",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)
user_interests = Table(
    "user_interests",
    db.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX))
    # Case- and width-folded form: "Ada" and "ADA" are the same account.
    username_key: Mapped[str] = mapped_column(String(USERNAME_MAX * 3), unique=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(DISPLAY_NAME_MAX), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    is_moderator: Mapped[bool] = mapped_column(default=False)
    is_admin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    welcomed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by moderators: until then the member cannot post, support or flag.
    suspended_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suspension_reason: Mapped[str] = mapped_column(Text, default="")
    # Part of every session and remember-me cookie: bumping it ends them all
    # (log out, log out everywhere, password change or reset, suspension).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # Notifications not yet read (kept by notifications/, read by the navigation bar without a query).
    unread_notifications: Mapped[int] = mapped_column(default=0, server_default="0")
    # Uploaded avatar (app/images.py): a content-hash file name under UPLOAD_DIR; none means initials.
    avatar_file: Mapped[str | None] = mapped_column(String(80))

    skills: Mapped[list[Tag]] = relationship(secondary=user_skills, order_by=Tag.name)
    interests: Mapped[list[Tag]] = relationship(secondary=user_interests, order_by=Tag.name)

    def get_id(self):
        """Flask-Login's alternative id: a cookie names the account and the generation it was issued in."""
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self):
        """Every session and remember-me cookie issued so far stops working."""
        self.session_generation = (self.session_generation or 0) + 1

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def name(self):
        return self.display_name or self.username

    def is_suspended(self, now=None):
        until = clock.aware(self.suspended_until)
        return until is not None and until > (now or clock.now())

    @property
    def roles(self):
        roles = ["member"]
        if self.is_moderator:
            roles.append("moderator")
        if self.is_admin:
            roles.append("admin")
        return roles

    def __repr__(self):
        return f"<User {self.username}>"
