"""Who may see community insights, set plans, recognise and invite (issue 12). Each answer is a Verdict."""
from app.permissions import (  # noqa: I001
    ALLOWED,
    _appointed,
    can_contribute,
    can_manage_challenge,
    is_admin,
    is_signed_in,
    refuse,
    verdict,
)

__all__ = [
    "can_view_insights", "can_edit_plan", "can_view_site_insights", "can_decide_contributor",
    "can_invite", "can_thank",
]


def can_view_insights(user, challenge):
    """The owner, moderators appointed to this challenge, admins."""
    if not is_signed_in(user):
        return refuse("Log in to see insights.", 401)
    if challenge.is_draft:
        return refuse("Insights start once the challenge is published.")
    if can_manage_challenge(user, challenge):
        return ALLOWED
    # Appointed moderators only (not every site moderator); looked up once per request.
    return verdict(_appointed(user.id, challenge.id),
                   "Only the challenge's owner, its moderators and admins see its insights.")


def can_edit_plan(user, challenge):
    return verdict(can_manage_challenge(user, challenge), "Only the challenge's owner edits its plan.")


def can_view_site_insights(user):
    return verdict(is_admin(user), "Only admins see the site's insights.")


def can_decide_contributor(user, challenge):
    """Confirm or replace a contributor of the month: the owner or an admin (site-wide: admins)."""
    if challenge is None:
        return verdict(is_admin(user), "Only admins choose the site's contributor of the month.")
    return verdict(can_manage_challenge(user, challenge), "Only the challenge's owner or an admin decides.")


def can_invite(user, challenge):
    if not (decision := can_contribute(user)):
        return decision
    if challenge.is_draft:
        return refuse("Publish the challenge before inviting members.")
    return verdict(can_manage_challenge(user, challenge), "Only the challenge's owner invites members.")


def can_thank(user, author_id, is_public):
    if not (decision := can_contribute(user)):
        return decision
    if user.id == author_id:
        return refuse("You cannot thank yourself.")
    return verdict(is_public, "This item is not public.", 404)
