"""Who may see and do what in a hold-up. Refusals carry the reason shown to the person."""
from app.permissions import can_contribute, can_manage_challenge, can_moderate, can_view_challenge, is_signed_in

__all__ = [
    "can_manage_holdup",
    "can_facilitate",
    "can_view_board",
    "can_write_board",
    "can_cluster",
    "can_register",
    "can_see_place",
    "can_see_registrations",
    "can_promote_to_ideas",
    "board_write_refusal",
]


def can_manage_holdup(user, challenge):
    """Details, agenda, registrations, messages, follow-up: the owner (or an admin)."""
    return challenge.format == "holdup" and can_manage_challenge(user, challenge)


def can_facilitate(user, challenge, holdup):
    """Move the steps, hide notes, close the vote: the facilitator, or the owner standing in."""
    return can_contribute(user) and (user.id == holdup.facilitator_id or can_manage_challenge(user, challenge))


def can_view_board(user, challenge, holdup, registration=None):
    if not can_view_challenge(user, challenge):
        return False
    if holdup.public_can_watch:
        return True
    return is_signed_in(user) and (
        (registration is not None and registration.status == "registered")
        or user.id == holdup.facilitator_id
        or can_manage_challenge(user, challenge)
        or can_moderate(user, challenge.id)
    )


def board_write_refusal(user, challenge, holdup, registration=None):
    """Why `user` may not write to the board (None: they may)."""
    if not can_contribute(user):
        return "Log in as a registered participant to write on the board."
    if holdup.has_ended:
        return "The session has ended: the board is read-only."
    if registration is not None and registration.status == "registered":
        return None
    if user.id == holdup.facilitator_id or can_manage_challenge(user, challenge) or can_moderate(user, challenge.id):
        return None
    return "Only registered participants write on the board; you can watch."


def can_write_board(user, challenge, holdup, registration=None):
    return board_write_refusal(user, challenge, holdup, registration) is None


def can_cluster(user, challenge, holdup, registration=None):
    if can_facilitate(user, challenge, holdup):
        return not holdup.has_ended
    return holdup.participants_cluster and can_write_board(user, challenge, holdup, registration)


def can_register(user, challenge):
    return can_contribute(user) and can_view_challenge(user, challenge) and not challenge.is_draft


def can_see_place(user, challenge, holdup, registration=None):
    """The place or online link: registered participants, the facilitator, the owner."""
    return is_signed_in(user) and (
        (registration is not None and registration.status == "registered")
        or user.id == holdup.facilitator_id
        or can_manage_challenge(user, challenge)
    )


def can_see_registrations(user, challenge, holdup):
    return can_manage_holdup(user, challenge) or (is_signed_in(user) and user.id == holdup.facilitator_id)


def can_promote_to_ideas(user, challenge, holdup):
    return can_facilitate(user, challenge, holdup) and holdup.has_ended
