"""Following challenges and ideas."""
from sqlalchemy import delete

from app import permissions
from app.extensions import db, insert_if_absent
from challenges.models import Challenge, ChallengeFollow, Idea, IdeaFollow

_FOLLOW_MODELS = {Challenge: (ChallengeFollow, "challenge_id"), Idea: (IdeaFollow, "idea_id")}


def set_following(user, target, following=True):
    """Follow or unfollow a challenge or an idea; the follower count follows suit."""
    permissions.require(permissions.can_contribute(user))
    model, key = _FOLLOW_MODELS[type(target)]
    counter = type(target).follower_count
    if following:
        # A double click inserts once and counts once.
        if insert_if_absent(model, user_id=user.id, **{key: target.id}):
            target.follower_count = counter + 1
    else:
        removed = db.session.execute(
            delete(model).where(model.user_id == user.id, getattr(model, key) == target.id)).rowcount
        if removed:
            target.follower_count = counter - removed
    db.session.flush()


def follow_challenge(user, challenge):
    set_following(user, challenge)


def follow_idea(user, idea):
    set_following(user, idea)


def follows_challenge(user, challenge):
    return permissions.is_signed_in(user) and db.session.get(ChallengeFollow, (user.id, challenge.id)) is not None


def follows_idea(user, idea):
    return permissions.is_signed_in(user) and db.session.get(IdeaFollow, (user.id, idea.id)) is not None
