"""Who hears about what, and who sees the background jobs."""
from app.permissions import _member, can_view_challenge, can_view_idea, is_admin

__all__ = ["can_see_jobs", "may_hear_about"]


def can_see_jobs(user):
    """The outbox's failed jobs, their errors and the retry button: admins."""
    return is_admin(user)


def may_hear_about(user, idea=None, challenge=None):
    """A member is told about content only while they may still see it."""
    if not _member(user):
        return False
    if idea is not None:
        return can_view_idea(user, idea, challenge)
    if challenge is not None:
        return can_view_challenge(user, challenge)
    return True
