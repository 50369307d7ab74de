"""Who hears about what, and who sees the background jobs."""
from app.permissions import can_view_challenge, can_view_idea, is_admin, is_signed_in, verdict

__all__ = ["can_see_jobs", "may_hear_about"]


def can_see_jobs(user):
    """The outbox's failed jobs, their errors and the retry button: admins."""
    return verdict(is_admin(user), "Only admins see the background jobs.")


def may_hear_about(user, idea=None, challenge=None):
    """A member is told about content only while they may still see it."""
    if not is_signed_in(user):
        return verdict(False, "Log in to see notifications.", 401)
    if idea is not None:
        return can_view_idea(user, idea, challenge)
    if challenge is not None:
        return can_view_challenge(user, challenge)
    return verdict(True)
