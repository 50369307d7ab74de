"""Who may upload images: a member their own avatar, a challenge's managers its cover; never while suspended."""
from app.permissions import can_edit_profile, can_manage_challenge, refuse

__all__ = ["can_upload_avatar", "can_upload_cover"]


def can_upload_avatar(user, profile_owner):
    return can_edit_profile(user, profile_owner)


def can_upload_cover(user, challenge=None):
    from app.permissions import can_contribute

    allowed = can_contribute(user)
    if not allowed:
        return allowed
    if challenge is not None and not can_manage_challenge(user, challenge):
        return refuse("Only the challenge's owner can change its cover image.")
    return allowed
