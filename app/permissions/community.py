"""Who may see community insights, set plans, recognise and invite (issue 12)."""
from app.permissions import _member, active_member, can_manage_challenge, is_admin

__all__ = [
    "can_view_insights", "can_edit_plan", "can_view_site_insights", "can_decide_contributor",
    "can_invite", "can_thank", "thanks_refusal",
]


def can_view_insights(user, challenge):
    """The owner, moderators appointed to this challenge, admins."""
    if not _member(user) or challenge.is_draft:
        return False
    if can_manage_challenge(user, challenge):
        return True
    from app.extensions import db
    from challenges.models import ChallengeModerator

    return db.session.get(ChallengeModerator, (challenge.id, user.id)) is not None


def can_edit_plan(user, challenge):
    return can_manage_challenge(user, challenge)


def can_view_site_insights(user):
    return is_admin(user)


def can_decide_contributor(user, challenge):
    """Confirm or replace a contributor of the month: the owner or an admin (site-wide: admins)."""
    if challenge is None:
        return is_admin(user)
    return can_manage_challenge(user, challenge)


def can_invite(user, challenge):
    return active_member(user) and can_manage_challenge(user, challenge) and not challenge.is_draft


def thanks_refusal(user, author_id, is_public):
    """Why this member may not thank this item, or None when they may."""
    if not _member(user):
        return "Log in to say thanks."
    if not active_member(user):
        return "Suspended members cannot thank."
    if user.id == author_id:
        return "You cannot thank yourself."
    if not is_public:
        return "This item is not public."
    return None


def can_thank(user, author_id, is_public):
    return thanks_refusal(user, author_id, is_public) is None
