"""Pending edits (issue 14, item 7): who sees an edit that waits for a moderator, and who decides it."""
from app.limits import IDEA_EDIT_SUPPORTER_LIMIT
from app.permissions import ALLOWED, can_decide, can_moderate, is_signed_in, refuse

__all__ = ["can_see_pending_edit", "can_decide_edit", "can_apply_edit"]


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


def can_apply_edit(kind, item):
    """Whether a waiting edit may still go live: the item must still be one its author could edit.

    The author's edit window for comments is not asked again (the moderator's
    wait is not the author's), but an idea that moved on (shortlisted,
    selected, expired...) or gathered the supporters that freeze its text,
    and a comment hidden or deleted since, keep the text people supported."""
    if kind == "idea":
        if item.status not in ("pending", "published"):
            return refuse("This idea has moved on since the edit was written, so its text stays as it is: "
                          "reject the edit.", 422)
        if item.supporter_count >= IDEA_EDIT_SUPPORTER_LIMIT:
            return refuse(f"This idea now has {IDEA_EDIT_SUPPORTER_LIMIT} supporters or more, so its text is "
                          "frozen: reject the edit.", 422)
        return ALLOWED
    if item.is_deleted or item.status != "published":
        return refuse("This comment is no longer published: reject the edit.", 422)
    return ALLOWED
