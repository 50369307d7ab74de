"""A logged-in member's home page: what is theirs, what they follow, what changed since they last looked.

Read-only; a fixed number of queries whatever the member has."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app import clock, permissions
from app.extensions import db
from challenges.models import Challenge, ChallengeFollow, Comment, Idea, IdeaFollow

LIST_LIMIT = 6
FIRST_LOOK = timedelta(days=7)  # with no earlier visit, "since" means the last week


@dataclass
class MemberHome:
    since: datetime
    ideas: list = field(default_factory=list)  # the member's own, every status (only they see this page)
    followed_challenges: list = field(default_factory=list)
    followed_ideas: list = field(default_factory=list)
    new_comments: int = 0  # on their ideas and the ideas they follow, by others, since
    new_ideas: int = 0  # in the challenges they follow, since
    open_challenges: list = field(default_factory=list)

    @property
    def anything_new(self):
        return bool(self.new_comments or self.new_ideas)


def member_home(user, since=None, open_challenges=()):
    since = clock.aware(since) or clock.now() - FIRST_LOOK
    home = MemberHome(since=since, open_challenges=list(open_challenges))
    home.ideas = list(db.session.scalars(
        select(Idea).options(joinedload(Idea.challenge)).where(Idea.author_id == user.id)
        .order_by(Idea.created_at.desc()).limit(LIST_LIMIT)))
    home.followed_challenges = list(db.session.scalars(
        select(Challenge).join(ChallengeFollow, ChallengeFollow.challenge_id == Challenge.id)
        .where(ChallengeFollow.user_id == user.id, Challenge.owner_id != user.id,
               permissions.visible_challenges_clause(user))
        .order_by(ChallengeFollow.created_at.desc()).limit(LIST_LIMIT)))
    home.followed_ideas = list(db.session.scalars(
        select(Idea).options(joinedload(Idea.author))
        .join(IdeaFollow, IdeaFollow.idea_id == Idea.id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(IdeaFollow.user_id == user.id, Idea.author_id != user.id, permissions.public_ideas_clause())
        .order_by(IdeaFollow.created_at.desc()).limit(LIST_LIMIT)))
    watched = select(IdeaFollow.idea_id).where(IdeaFollow.user_id == user.id)
    home.new_comments = db.session.scalar(
        select(func.count()).select_from(Comment).join(Idea, Idea.id == Comment.idea_id)
        .join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Comment.idea_id.in_(watched), Comment.author_id != user.id, Comment.status == "published",
               Comment.created_at > since, permissions.public_ideas_clause()))
    followed = select(ChallengeFollow.challenge_id).where(ChallengeFollow.user_id == user.id)
    home.new_ideas = db.session.scalar(
        select(func.count()).select_from(Idea).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Idea.challenge_id.in_(followed), Idea.author_id != user.id, Idea.published_at > since,
               permissions.public_ideas_clause()))
    return home
