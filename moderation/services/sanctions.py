"""Sanctions and appointments: suspending members and lifting it, appointing challenge moderators."""
from datetime import timedelta

from sqlalchemy import select

from app import clock, permissions
from app.auth.models import User
from app.extensions import db
from app.limits import NOTE_MAX, SUSPENSION_DAYS
from challenges.models import ChallengeModerator
from moderation.services.audit import log
from moderation.services.decisions import clean_note
from moderation.services.errors import ModerationError
from moderation.services.items import notify


def suspend(actor, member, days, reason):
    permissions.require(permissions.can_suspend(actor))
    if member.id == actor.id:
        raise ModerationError("You cannot suspend yourself.")
    if member.is_admin or member.is_moderator:
        raise ModerationError("Admins and moderators cannot be suspended; an admin can revoke their role first.")
    if days not in SUSPENSION_DAYS:
        raise ModerationError("Choose a duration from the list.", "days")
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError("Give the reason: the member will see it.", "reason")
    if len(reason) > NOTE_MAX:
        raise ModerationError(f"Keep the reason under {NOTE_MAX:,} characters.", "reason")
    before = {"suspended_until": _iso(member.suspended_until), "reason": member.suspension_reason}
    member.suspended_until = clock.now() + timedelta(days=days)
    member.suspension_reason = reason
    member.end_sessions()  # whatever session was taken over ends now
    db.session.flush()
    notify([member.id], f"Your account is suspended until {member.suspended_until:%Y-%m-%d %H:%M} UTC: {reason}")
    return log(actor, "suspend", subject_id=member.id, reason=f"{days}d", note=reason, before=before,
               after={"suspended_until": _iso(member.suspended_until), "reason": reason})


def lift_suspension(actor, member, note=""):
    permissions.require(permissions.can_suspend(actor))
    if not member.is_suspended():
        raise ModerationError(f"{member.name} is not suspended.")
    before = {"suspended_until": _iso(member.suspended_until), "reason": member.suspension_reason}
    member.suspended_until = None
    member.suspension_reason = ""
    db.session.flush()
    notify([member.id], "Your suspension was lifted.")
    return log(actor, "unsuspend", subject_id=member.id, note=clean_note(note), before=before,
               after={"suspended_until": None})


def _iso(moment):
    return clock.aware(moment).isoformat() if moment else None


def appoint_moderator(actor, challenge, member):
    permissions.require(permissions.can_appoint_moderators(actor, challenge))
    if member is None:
        raise ModerationError("There is no member with that username.", "username")
    permissions.require(permissions.can_appoint(actor, challenge, member), "username", ModerationError)
    if db.session.get(ChallengeModerator, (challenge.id, member.id)):
        raise ModerationError(f"{member.name} already moderates this challenge.", "username")
    if member.is_suspended():
        raise ModerationError(f"{member.name} is suspended and cannot moderate.", "username")
    db.session.add(ChallengeModerator(challenge_id=challenge.id, user_id=member.id, appointed_at=clock.now()))
    db.session.flush()
    return log(actor, "appoint", challenge_id=challenge.id, subject_id=member.id)


def dismiss_moderator(actor, challenge, member):
    permissions.require(permissions.can_appoint_moderators(actor, challenge))
    appointment = db.session.get(ChallengeModerator, (challenge.id, member.id))
    if appointment is None:
        raise ModerationError(f"{member.name} does not moderate this challenge.")
    db.session.delete(appointment)
    db.session.flush()
    return log(actor, "dismiss_moderator", challenge_id=challenge.id, subject_id=member.id)


def challenge_moderators(challenge):
    return list(db.session.scalars(
        select(User).join(ChallengeModerator, ChallengeModerator.user_id == User.id)
        .where(ChallengeModerator.challenge_id == challenge.id).order_by(User.username_key)
    ))
