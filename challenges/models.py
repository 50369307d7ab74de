"""Challenges, ideas, comments, follows: the idea pool.

Counters (ideas, supporters, comments) and ranking scores are stored
columns, changed in the same transaction as the rows they count, so lists
never COUNT(*) or compute a formula per row.
"""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship, validates

from app import clock
from app.auth.models import User
from app.extensions import db
from app.markdown import render_markdown, render_markdown_lite
from app.tags import Tag

# Challenge phases, in order. A draft is seen only by its owner (and admins).
PHASES = ("draft", "submission", "voting", "review", "results", "closed")
PHASE_LABELS = {
    "draft": "Draft",
    "submission": "Taking ideas",
    "voting": "Voting",
    "review": "In review",
    "results": "Results",
    "closed": "Closed",
}
FORMATS = {"challenge": "Challenge", "holdup": "Hold-up workshop"}
MODERATION_POLICIES = {
    "pre_new": "Pre-moderate new members (their first 3 contributions)",
    "pre_all": "Pre-moderate everything",
    "post": "Post-moderate (publish at once, review afterwards)",
}

# Idea lifecycle. PUBLIC statuses are shown to everyone; the others hide the
# idea from every list, count, search and feed except for its author and moderators.
IDEA_PUBLIC = ("published", "in_review", "shortlisted", "selected", "not_selected", "expired")
IDEA_HIDDEN = ("pending", "rejected", "hidden", "merged", "withdrawn")
IDEA_STATUSES = IDEA_PUBLIC + IDEA_HIDDEN
IDEA_STATUS_LABELS = {
    "pending": "Awaiting moderation",
    "published": "Gathering support",
    "in_review": "In review",
    "shortlisted": "Shortlisted",
    "selected": "Selected",
    "not_selected": "Not selected",
    "expired": "Expired",
    "rejected": "Rejected",
    "hidden": "Hidden",
    "merged": "Merged",
    "withdrawn": "Withdrawn",
}

COMMENT_STATUSES = ("published", "pending", "hidden", "rejected", "deleted")

challenge_tags = Table(
    "challenge_tags",
    db.metadata,
    Column("challenge_id", ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)
idea_tags = Table(
    "idea_tags",
    db.metadata,
    Column("idea_id", ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Challenge(db.Model):
    __tablename__ = "challenges"
    __table_args__ = (Index("ix_challenges_phase_published", "phase", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(90), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(300))
    # Optional uploaded cover image (app/images.py): a content-hash file name under UPLOAD_DIR.
    cover_file: Mapped[str | None] = mapped_column(String(80))
    problem: Mapped[str] = mapped_column(Text)
    problem_html: Mapped[str] = mapped_column(Text)
    norms: Mapped[str] = mapped_column(Text)
    norms_html: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(20), default="challenge")
    # An "open" challenge takes ideas and votes at the same time.
    is_open: Mapped[bool] = mapped_column(default=False)
    moderation_policy: Mapped[str] = mapped_column(String(20), default="pre_new")
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    phase: Mapped[str] = mapped_column(String(20), default="draft")
    # Each date is when that phase begins; voting_at is empty for open challenges.
    submission_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    voting_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    results_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The schedule only moves a challenge across a date passed since the last
    # change, so a phase the owner set by hand is not undone by an old date.
    phase_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now, onupdate=clock.now)
    idea_count: Mapped[int] = mapped_column(default=0)  # public ideas
    comment_count: Mapped[int] = mapped_column(default=0)  # public comments on public ideas
    follower_count: Mapped[int] = mapped_column(default=0)

    owner: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    tags: Mapped[list[Tag]] = relationship(secondary=challenge_tags, order_by=Tag.name)

    @property
    def is_draft(self):
        return self.phase == "draft"

    @property
    def state(self):
        """What the challenge is doing now (challenges.state decides; every page reads it)."""
        from challenges.state import challenge_state

        return challenge_state(self)

    @property
    def phase_label(self):
        return self.state.label

    # When a challenge takes ideas and votes: one rule, readable on a row and usable in SQL.
    @hybrid_method
    def takes_ideas(self, now):
        return self.phase == "submission" and clock.aware(self.submission_at) <= now

    @takes_ideas.expression
    def takes_ideas(cls, now):
        return (cls.phase == "submission") & (cls.submission_at <= now)

    @hybrid_method
    def takes_votes(self, now):
        return self.phase == "voting" or (self.is_open and self.takes_ideas(now))

    @takes_votes.expression
    def takes_votes(cls, now):
        return (cls.phase == "voting") | (cls.is_open & cls.takes_ideas(now))

    def __repr__(self):
        return f"<Challenge {self.slug} {self.phase}>"


class Idea(db.Model):
    __tablename__ = "ideas"
    __table_args__ = (
        # Each public ordering is one index range scan, whatever the size.
        Index("ix_ideas_public_hot", "challenge_id", "is_public", "hot_score"),
        Index("ix_ideas_public_top", "challenge_id", "is_public", "supporter_count"),
        Index("ix_ideas_public_new", "challenge_id", "is_public", "published_at"),
        Index("ix_ideas_public_random", "challenge_id", "is_public", "random_key"),
        Index("ix_ideas_challenge_status", "challenge_id", "status"),
        Index("ix_ideas_status_hot", "status", "hot_score"),
        # Most ideas build on nothing: a partial index keeps the planner's
        # statistics about the others honest (SQLite would otherwise scan).
        Index("ix_ideas_builds_on_id", "builds_on_id", sqlite_where=text("builds_on_id IS NOT NULL"),
              postgresql_where=text("builds_on_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    description_html: Mapped[str] = mapped_column(Text)
    # The start of description_html, loaded by idea lists for the card's snippet (not a column).
    snippet_html: Mapped[str | None] = query_expression()
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # status in IDEA_PUBLIC, stored so public lists are index scans; set by
    # the validator below whenever status is assigned, so it cannot drift.
    is_public: Mapped[bool] = mapped_column(default=False)
    # The status before the last change: "restore" after a hide goes back to it.
    previous_status: Mapped[str | None] = mapped_column(String(20))
    comments_locked: Mapped[bool] = mapped_column(default=False)
    builds_on_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    # Where a merged idea went (moderation); its page redirects there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id", ondelete="SET NULL"))
    supporter_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    follower_count: Mapped[int] = mapped_column(default=0)
    hot_score: Mapped[float] = mapped_column(Float, default=0.0)
    # A fixed random number: visitors walk the ideas from a random point,
    # which gives every idea a fair share of first places.
    random_key: Mapped[int] = mapped_column(BigInteger, default=0)
    # Review: the owner's decision and the feedback its author sees.
    feedback: Mapped[str] = mapped_column(Text, default="")
    feedback_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_activity_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    challenge: Mapped[Challenge] = relationship(lazy="raise_on_sql")
    author: Mapped[User] = relationship(lazy="raise_on_sql")
    builds_on: Mapped["Idea | None"] = relationship(
        remote_side="Idea.id", foreign_keys=[builds_on_id], lazy="raise_on_sql"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=idea_tags, order_by=Tag.name, lazy="raise_on_sql")

    @validates("status")
    def _status_sets_visibility(self, key, status):
        self.is_public = status in IDEA_PUBLIC
        return status

    @property
    def status_label(self):
        return IDEA_STATUS_LABELS[self.status]

    def __repr__(self):
        return f"<Idea {self.id} {self.status}>"


class IdeaRevision(db.Model):
    """What an idea said before an edit: every edit is kept."""

    __tablename__ = "idea_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    tags: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    editor: Mapped[User] = relationship(lazy="raise_on_sql")


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id", ondelete="CASCADE"), index=True)
    depth: Mapped[int] = mapped_column(Integer, default=0)  # 0, 1 or 2: three levels
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="published")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    author: Mapped[User] = relationship(lazy="raise_on_sql")
    idea: Mapped[Idea] = relationship(lazy="raise_on_sql")

    @property
    def is_deleted(self):
        return self.status == "deleted"


class PendingEdit(db.Model):
    """An author's edit of an approved idea or comment that waits for a moderator (issue 14, item 7).

    The item's own row keeps the approved text, so every page, list, count,
    feed and the search index go on showing it until a moderator decides.
    One per item: a second edit replaces the first, and `version` counts the
    replacements so a moderator never approves text they did not read.
    """

    __tablename__ = "pending_edits"
    # AUTOINCREMENT on SQLite: a decided edit's id is never handed to the next one (see decide_edit).
    __table_args__ = (UniqueConstraint("item_kind", "item_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(10))  # "idea" or "comment"
    item_id: Mapped[int]
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # An idea's edit: title, description and tags (comma-separated); a comment's: body.
    title: Mapped[str | None] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)

    @property
    def tag_names(self):
        return [name for name in (self.tags or "").split(",") if name]

    @property
    def html(self):
        """The waiting text as it would show, rendered and sanitised like the approved one."""
        if self.item_kind == "idea":
            return render_markdown(self.description)
        return render_markdown_lite(self.body)

    def fields(self):
        """What the edit says, as the audit log records it."""
        if self.item_kind == "idea":
            return {"title": self.title, "description": self.description, "tags": self.tag_names}
        return {"body": self.body}


class NormsAcceptance(db.Model):
    """A member accepted a challenge's norms (once, before contributing)."""

    __tablename__ = "norms_acceptances"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class ChallengeModerator(db.Model):
    """A member the owner appointed to moderate one challenge."""

    __tablename__ = "challenge_moderators"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    appointed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class ChallengeFollow(db.Model):
    __tablename__ = "challenge_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class IdeaFollow(db.Model):
    __tablename__ = "idea_follows"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


__all__ = [
    "Challenge",
    "ChallengeFollow",
    "Comment",
    "Idea",
    "IdeaFollow",
    "IdeaRevision",
    "NormsAcceptance",
    "PendingEdit",
    "ChallengeModerator",
]
