"""Before a contribution is saved: community norms, pre-moderation, and asking the screening receivers."""
import re

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app import permissions, signals
from app.extensions import db, insert_if_absent
from app.limits import TRUSTED_AFTER
from challenges.models import Comment, Idea, NormsAcceptance
from challenges.services.errors import NormsNotAccepted


def has_accepted_norms(user, challenge):
    if not permissions.is_signed_in(user):
        return False
    return db.session.get(NormsAcceptance, (user.id, challenge.id)) is not None


def accept_norms(user, challenge):
    permissions.require(permissions.can_contribute(user))
    insert_if_absent(NormsAcceptance, user_id=user.id, challenge_id=challenge.id)


def check_norms(user, challenge, accept):
    if accept:
        accept_norms(user, challenge)
    elif not has_accepted_norms(user, challenge):
        raise NormsNotAccepted("Read and accept this challenge's norms before your first contribution.",
                               "accept_norms")


_CONTRIBUTIONS = "kindling.published_contributions"


def published_contributions(user):
    """The member's published ideas and comments, in one statement.

    Screening asks twice per submission (premoderation, then the trust
    limits); the answer is kept until the session next writes (issue 13)."""
    known = db.session.info.setdefault(_CONTRIBUTIONS, {})
    if user.id not in known:
        ideas = select(func.count()).select_from(Idea).where(Idea.author_id == user.id, Idea.is_public.is_(True))
        comments = select(func.count()).select_from(Comment).where(
            Comment.author_id == user.id, Comment.status == "published"
        )
        known[user.id] = db.session.scalar(select(ideas.scalar_subquery() + comments.scalar_subquery()))
    return known[user.id]


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_contributions(session, *args):
    session.info.pop(_CONTRIBUTIONS, None)


_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def screen_contribution(user, challenge, kind, text, edit=False, paced=False):
    """Ask the screening receivers (moderation) about a contribution.

    Returns (hold, flags): hold is True when it must wait for a moderator;
    flags are reasons to publish it flagged. A receiver raising
    ChallengeError refuses the contribution outright.
    """
    hold, flags = (False if edit else needs_premoderation(user, challenge)), []
    answers = signals.contribution_screening.send(
        user, user=user, challenge_id=challenge.id, kind=kind, text=text, link_count=len(_LINK.findall(text)),
        edit=edit, paced=paced,
    )
    for _receiver, answer in answers:
        if answer == "pending":
            hold = True
        elif isinstance(answer, tuple) and answer[0] == "flag":
            flags.append(answer[1])
    return hold, flags


def needs_premoderation(user, challenge):
    if challenge.moderation_policy == "post" or permissions.is_site_moderator(user):
        return False
    if challenge.moderation_policy == "pre_all":
        return True
    return published_contributions(user) < TRUSTED_AFTER
