"""Pending edits (issue 14, item 7): who sees an edit that waits for a moderator, and who decides it."""
from app.permissions import ALLOWED, can_decide, can_moderate, is_signed_in, refuse

__all__ = ["can_see_pending_edit", "can_decide_edit"]


def can_see_pending_edit(user, author_id, challenge_id):
    """Who may see the edit an item's author is waiting on: the author, and the challenge's moderators."""
    if is_signed_in(user) and user.id == author_id:
        return ALLOWED
    if can_moderate(user, challenge_id):
        return ALLOWED
    return refuse("There is no edit waiting.", 404)


def can_decide_edit(user, pending):
    """Approve or reject a waiting edit: a moderator of its challenge, never its author."""
    return can_decide(user, pending.author_id, pending.challenge_id)
