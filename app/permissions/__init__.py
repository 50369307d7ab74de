"""The one place that decides who may see or do what.

Every function takes the acting user first; an anonymous visitor is passed
as Flask-Login's AnonymousUserMixin (or None) and is treated the same.
Lists, counts, search and feeds ask the `visible_*` clauses here, so
hidden content stays hidden everywhere.
"""
from datetime import timedelta

from sqlalchemy import false, or_, select, true

from app import clock

IDEA_EDIT_SUPPORTER_LIMIT = 100
COMMENT_EDIT_WINDOW = timedelta(minutes=10)
COMMENT_PHASES = ("submission", "voting", "review", "results")


def _member(user):
    return user is not None and getattr(user, "is_authenticated", False)


def active_member(user):
    """Logged in and not suspended: may contribute."""
    return _member(user) and not user.is_suspended()


def is_admin(user):
    return _member(user) and user.is_admin


def is_site_moderator(user):
    return _member(user) and (user.is_moderator or user.is_admin)


def can_manage_roles(user):
    return is_admin(user)


def can_edit_profile(user, profile_owner):
    return _member(user) and user.id == profile_owner.id


# Challenges


def can_manage_challenge(user, challenge):
    """Edit, publish, move phases, review: the owner, or an admin."""
    return _member(user) and (user.id == challenge.owner_id or user.is_admin)


def can_view_challenge(user, challenge):
    return not challenge.is_draft or can_manage_challenge(user, challenge)


def visible_challenges_clause(user):
    from challenges.models import Challenge

    if is_admin(user):
        return true()
    if _member(user):
        return or_(Challenge.phase != "draft", Challenge.owner_id == user.id)
    return Challenge.phase != "draft"


def can_moderate(user, challenge_id):
    """Site moderators everywhere; appointed moderators in their challenge."""
    if is_site_moderator(user):
        return True
    if not _member(user) or challenge_id is None:
        return False
    from app.extensions import db
    from challenges.models import ChallengeModerator

    return db.session.get(ChallengeModerator, (challenge_id, user.id)) is not None


def moderated_challenges_clause(user):
    """Which challenges' items this user may moderate, as a SQL condition."""
    from challenges.models import Challenge, ChallengeModerator

    if is_site_moderator(user):
        return true()
    if not _member(user):
        return false()
    appointed = select(ChallengeModerator.challenge_id).where(ChallengeModerator.user_id == user.id)
    return Challenge.id.in_(appointed)


# Ideas


def public_ideas_clause():
    """The condition every public list, count, search and feed applies."""
    from challenges.models import Challenge, Idea

    return Idea.is_public.is_(True) & (Challenge.phase != "draft")


def can_view_idea(user, idea, challenge):
    if not can_view_challenge(user, challenge):
        return False
    if idea.is_public:
        return True
    if _member(user) and user.id == idea.author_id and idea.status != "merged":
        return True
    return can_moderate(user, challenge.id)


def can_edit_idea(user, idea):
    return (
        active_member(user)
        and user.id == idea.author_id
        and idea.status in ("pending", "published")
        and idea.supporter_count < IDEA_EDIT_SUPPORTER_LIMIT
    )


def can_withdraw_idea(user, idea):
    return active_member(user) and user.id == idea.author_id and idea.status in ("pending", "published")


def can_see_results(user, challenge):
    """Announced results are public; the owner previews them before."""
    return challenge.phase in ("results", "closed") or can_manage_challenge(user, challenge)


def can_review_ideas(user, challenge):
    return can_manage_challenge(user, challenge) and challenge.phase in ("review", "results")


# Comments


def can_comment(user, idea, challenge):
    return (
        active_member(user)
        and idea.is_public
        and not idea.comments_locked
        and challenge.phase in COMMENT_PHASES
    )


def can_edit_comment(user, comment, now=None):
    return (
        active_member(user)
        and user.id == comment.author_id
        and not comment.is_deleted
        and (now or clock.now()) - clock.aware(comment.created_at) <= COMMENT_EDIT_WINDOW
    )


def can_delete_comment(user, comment):
    return _member(user) and user.id == comment.author_id and not comment.is_deleted


def can_view_comment(user, comment, idea_challenge_id):
    if comment.status in ("published", "deleted"):
        return True
    if _member(user) and user.id == comment.author_id:
        return True
    return can_moderate(user, idea_challenge_id)


# Moderation


def can_use_moderation_desk(user):
    """Site moderators, and members appointed to moderate at least one challenge."""
    if is_site_moderator(user):
        return True
    if not _member(user):
        return False
    from app.extensions import db
    from challenges.models import ChallengeModerator

    return db.session.scalar(select(ChallengeModerator.user_id).where(ChallengeModerator.user_id == user.id).limit(1)) \
        is not None


def can_flag(user, author_id):
    """Members flag others' contributions; authors and suspended members cannot."""
    return active_member(user) and user.id != author_id


def can_suspend(user):
    return is_site_moderator(user)


def can_appoint_moderators(user, challenge):
    return can_manage_challenge(user, challenge)


def can_edit_watched_words(user):
    return is_admin(user)


# Voting


def can_support(user, idea, challenge):
    """Support or withdraw: an active member, not the author, on a gathering idea while votes are taken."""
    from challenges.services.challenges import accepts_votes

    return (
        active_member(user)
        and user.id != idea.author_id
        and idea.status == "published"
        and can_view_challenge(user, challenge)
        and accepts_votes(challenge)
    )


def can_manage_voting(user, challenge):
    """Set the milestone ladder, open and close dot-votes and pairwise rounds."""
    return can_manage_challenge(user, challenge)


def can_dot_vote(user, challenge, dot_round):
    # The hold-up feature may narrow this to registered participants.
    return active_member(user) and can_view_challenge(user, challenge) and dot_round is not None


def can_vote_pairwise(user, challenge, pairwise_round):
    return active_member(user) and can_view_challenge(user, challenge) and pairwise_round is not None
