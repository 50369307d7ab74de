"""Community health: engagement plans, daily rollups, recognition, invitations.

Rollups are keyed by a scope: a challenge id, or SITE (0) for the whole
site. They are written only by jobs (`community.jobs`), recomputed per day,
so running a job twice leaves the same rows.
"""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app import clock
from app.extensions import db
from challenges.models import Comment, Idea
from voting.models import Support

SITE = 0  # the scope id of site-wide rollups

# Today's figures are read live; these let "contributions since midnight"
# be an index range instead of a scan of a million supports.
Index("ix_community_supports_created", Support.created_at)
Index("ix_community_comments_created", Comment.created_at)
Index("ix_community_ideas_created", Idea.created_at)

# The numbers an owner can set a target for, with how they read.
TARGET_METRICS = {
    "participants": "Participants (distinct contributors)",
    "ideas": "Public ideas",
    "comments": "Public comments",
    "supports": "Supports",
    "first_time_share": "Share of contributions from first-time members (%)",
    "response_hours": "Median hours until a new idea's first response (at most)",
    "registrations": "Hold-up registrations (seats and waitlist)",
    "attendance": "Hold-up attendance (registered members who took part on the board)",
}
HOLDUP_METRICS = ("registrations", "attendance")  # settable on hold-up challenges only


class EngagementPlan(db.Model):
    """What the owner wants from their challenge's community; goal and groups are public."""

    __tablename__ = "community_plans"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    goal: Mapped[str] = mapped_column(String(300), default="")
    groups: Mapped[str] = mapped_column(String(400), default="")  # comma-separated stakeholder groups
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def group_list(self):
        return [g for g in (s.strip() for s in self.groups.split(",")) if g]


class EngagementTarget(db.Model):
    __tablename__ = "community_targets"
    __table_args__ = (UniqueConstraint("challenge_id", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    metric: Mapped[str] = mapped_column(String(30))
    value: Mapped[float] = mapped_column(Float)
    due_on: Mapped[date] = mapped_column(Date)


class MemberDay(db.Model):
    """One member's public contributions in one scope on one day (UTC)."""

    __tablename__ = "community_member_days"
    # The key serves dashboards (scope and a range of days); these serve the jobs:
    # redoing one day, and redoing some members' first days across scopes.
    __table_args__ = (Index("ix_community_member_days_day", "day"),
                      Index("ix_community_member_days_user", "user_id", "scope_id", "day"))

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ideas: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    supports: Mapped[int] = mapped_column(Integer, default=0)


class MemberMonth(db.Model):
    """MemberDay summed per calendar month: long periods read these, plus the days at either edge."""

    __tablename__ = "community_member_months"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # the first of the month
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ideas: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    supports: Mapped[int] = mapped_column(Integer, default=0)


class MemberWeek(db.Model):
    """MemberDay summed per member and ISO week (Monday to Sunday): a period's members read whole weeks
    where it has them, months where it has whole months, and days only at its edges."""

    __tablename__ = "community_member_weeks"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week: Mapped[date] = mapped_column(Date, primary_key=True)  # the Monday
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    ideas: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    supports: Mapped[int] = mapped_column(Integer, default=0)


class MemberFirst(db.Model):
    """When a member first (and second) contributed in a scope: new vs returning, funnel."""

    __tablename__ = "community_member_firsts"
    __table_args__ = (Index("ix_community_member_firsts_first", "scope_id", "first_day"),)

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    first_day: Mapped[date] = mapped_column(Date)
    second_day: Mapped[date | None] = mapped_column(Date)  # the next day with a contribution


class DailyRollup(db.Model):
    __tablename__ = "community_daily"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ideas: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    supports: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)  # accounts created (site) / norms accepted


class IdeaFact(db.Model):
    """Per public idea: how fast it got answers and how far it went."""

    __tablename__ = "community_idea_facts"
    # Medians walk these in order (covering: the day is checked in the index), for a challenge and the site.
    __table_args__ = (Index("ix_community_idea_facts_day", "challenge_id", "day"),
                      Index("ix_community_idea_facts_site_day", "day"),
                      *(Index(f"ix_community_idea_facts_{column}", "challenge_id", column, "day")
                        for column in ("first_response_s", "decision_s", "review_s")),
                      *(Index(f"ix_community_idea_facts_site_{column}", column, "day")
                        for column in ("first_response_s", "decision_s", "review_s")))

    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # submitted
    first_response_s: Mapped[float | None] = mapped_column(Float)
    decision_s: Mapped[float | None] = mapped_column(Float)
    review_s: Mapped[float | None] = mapped_column(Float)
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    milestone: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(String(20), default="")  # shortlisted / selected or empty
    builds_on: Mapped[bool] = mapped_column(default=False)


class FactDay(db.Model):
    """IdeaFact summed per scope and day of submission: quality over a period reads a few hundred rows."""

    __tablename__ = "community_fact_days"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    ideas: Mapped[int] = mapped_column(Integer, default=0)
    supporters: Mapped[int] = mapped_column(Integer, default=0)
    milestone: Mapped[int] = mapped_column(Integer, default=0)
    shortlisted: Mapped[int] = mapped_column(Integer, default=0)
    selected: Mapped[int] = mapped_column(Integer, default=0)
    builds_on: Mapped[int] = mapped_column(Integer, default=0)


class SpeedBucket(db.Model):
    """How many ideas of a scope and day had a duration in one bucket, with the bucket's smallest and
    largest value: a median finds its bucket here, then reads only that bucket's facts."""

    __tablename__ = "community_speed_buckets"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    metric: Mapped[str] = mapped_column(String(20), primary_key=True)  # an IdeaFact duration column
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    low: Mapped[float] = mapped_column(Float)
    high: Mapped[float] = mapped_column(Float)


class ScopeSummary(db.Model):
    """Figures that do not depend on the period (cohorts, alumni), as JSON written by the job."""

    __tablename__ = "community_summaries"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
    data: Mapped[str] = mapped_column(Text, default="{}")


class DirtyItem(db.Model):
    """An idea or comment that changed status after its days were rolled up: the job redoes them."""

    __tablename__ = "community_dirty_items"

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # idea / comment
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class RollupState(db.Model):
    """How far the job rolled up (one row): whole days through rolled_through, and the current day up to
    snapshot_at. The dashboards read live only what was made at or after snapshot_at."""

    __tablename__ = "community_rollup_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rolled_through: Mapped[date | None] = mapped_column(Date)
    snapshot_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Recognition


class Badge(db.Model):
    __tablename__ = "community_badges"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)  # e.g. "milestone-2"
    earned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class Thanks(db.Model):
    __tablename__ = "community_thanks"
    __table_args__ = (Index("ix_community_thanks_item", "item_kind", "item_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    item_kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # idea / comment
    item_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)


class ContributorOfMonth(db.Model):
    __tablename__ = "community_contributors"

    scope_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    proposed_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))  # proposed, or the replacement
    score: Mapped[float] = mapped_column(Float, default=0)
    breakdown: Mapped[str] = mapped_column(Text, default="{}")  # JSON: the proposal's score, part by part
    status: Mapped[str] = mapped_column(String(12), default="proposed")  # proposed / confirmed / replaced
    reason: Mapped[str] = mapped_column(String(300), default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# Bringing people in


class CommunityPreference(db.Model):
    __tablename__ = "community_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    no_invitations: Mapped[bool] = mapped_column(default=False)


class Invitation(db.Model):
    __tablename__ = "community_invitations"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=clock.now)
