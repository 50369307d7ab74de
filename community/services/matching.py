"""Bringing the right people in: members who could help, invitations, challenges for you, alumni."""
from sqlalchemy import func, select, union_all

from app import clock, permissions, signals
from app.auth.models import User, user_interests, user_skills
from app.extensions import db
from app.tags import Tag
from challenges.models import Challenge, challenge_tags
from community.models import SITE, CommunityPreference, Invitation, MemberDay, MemberFirst
from community.services.days import insert_ignore

INVITE_LIMIT = 50
OPEN_PHASES = ("submission", "voting")


class InvitationError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def _profile_tags():
    return union_all(select(user_skills.c.user_id, user_skills.c.tag_id),
                     select(user_interests.c.user_id, user_interests.c.tag_id)).subquery()


def _reachable():
    """Members who may be suggested and invited: not suspended, not opted out."""
    opted_out = select(CommunityPreference.user_id).where(CommunityPreference.no_invitations.is_(True))
    now = clock.now()
    return ((User.suspended_until.is_(None)) | (User.suspended_until <= now)) & User.id.not_in(opted_out)


def members_who_could_help(challenge, limit=INVITE_LIMIT):
    """[(user, matching tag names, last active day)], by overlap with the challenge's tags, then recent activity.

    Leaves out the owner, members already contributing here or already invited."""
    tags = _profile_tags()
    wanted = select(challenge_tags.c.tag_id).where(challenge_tags.c.challenge_id == challenge.id)
    overlap = (select(tags.c.user_id, func.count(func.distinct(tags.c.tag_id)).label("overlap"))
               .where(tags.c.tag_id.in_(wanted)).group_by(tags.c.user_id).subquery())
    last_active = (select(MemberDay.user_id, func.max(MemberDay.day).label("day"))
                   .where(MemberDay.scope_id == SITE).group_by(MemberDay.user_id).subquery())
    contributing = select(MemberFirst.user_id).where(MemberFirst.scope_id == challenge.id)
    invited = select(Invitation.user_id).where(Invitation.challenge_id == challenge.id)
    rows = db.session.execute(
        select(User, overlap.c.overlap, last_active.c.day)
        .join(overlap, overlap.c.user_id == User.id)
        .outerjoin(last_active, last_active.c.user_id == User.id)
        .where(_reachable(), User.id != challenge.owner_id, User.id.not_in(contributing), User.id.not_in(invited))
        .order_by(overlap.c.overlap.desc(), last_active.c.day.desc().nulls_last(), User.id)
        .limit(limit)).all()
    if not rows:
        return []
    matching = {}
    for user_id, name in db.session.execute(
            select(tags.c.user_id, Tag.name).join(Tag, Tag.id == tags.c.tag_id)
            .where(tags.c.user_id.in_([row[0].id for row in rows]), tags.c.tag_id.in_(wanted))
            .order_by(Tag.name).distinct()):
        matching.setdefault(user_id, []).append(name)
    return [(user, matching.get(user.id, []), day) for user, _, day in rows]


def invite(actor, challenge, user_ids, message):
    """Invite up to 50 reachable members; each is invited once per challenge. Returns the ids invited."""
    if not permissions.can_invite(actor, challenge):
        raise PermissionError("Only the challenge's owner invites members.")
    user_ids = sorted(set(user_ids))
    if not user_ids:
        raise InvitationError("members", "Choose at least one member.")
    if len(user_ids) > INVITE_LIMIT:
        raise InvitationError("members", f"Invite at most {INVITE_LIMIT} members at a time.")
    return _send(actor, challenge, user_ids, message)


def _send(actor, challenge, user_ids, message):
    reachable = set(db.session.scalars(select(User.id).where(User.id.in_(user_ids), _reachable(),
                                                              User.id != actor.id))) if user_ids else set()
    already = set(db.session.scalars(select(Invitation.user_id).where(
        Invitation.challenge_id == challenge.id, Invitation.user_id.in_(user_ids)))) if user_ids else set()
    new = sorted(reachable - already)
    now = clock.now()
    insert_ignore(Invitation, [{"challenge_id": challenge.id, "user_id": user_id, "inviter_id": actor.id,
                                "message": message, "created_at": now} for user_id in new])
    db.session.flush()
    if new:
        signals.community_invitation.send(challenge, challenge_id=challenge.id, user_ids=new, message=message,
                                          actor_id=actor.id)
    return new


def alumni(challenge):
    """Members who contributed to this challenge (as rolled up), reachable."""
    return db.session.scalars(select(User.id).join(MemberFirst, MemberFirst.user_id == User.id).where(
        MemberFirst.scope_id == challenge.id, _reachable()).order_by(User.id)).all()


def alumni_targets(actor, challenge):
    """Newer challenges this owner runs that take part now, to invite alumni to."""
    if challenge.phase not in ("results", "closed"):
        return []
    return db.session.scalars(select(Challenge).where(
        Challenge.owner_id == actor.id, Challenge.id != challenge.id, Challenge.phase.in_(OPEN_PHASES),
        Challenge.published_at > challenge.published_at).order_by(Challenge.published_at.desc())).all()


def invite_alumni(actor, challenge, target, message):
    if challenge.phase not in ("results", "closed"):
        raise InvitationError("target", "Alumni can be invited once the challenge has ended (results or closed).")
    if target is None or target not in alumni_targets(actor, challenge) or not permissions.can_invite(actor, target):
        raise InvitationError("target", "Choose a newer challenge of yours that takes part now.")
    contributing = set(db.session.scalars(select(MemberFirst.user_id).where(MemberFirst.scope_id == target.id)))
    return _send(actor, target, [u for u in alumni(challenge) if u not in contributing], message)


def challenges_for_you(user, limit=5):
    """Open challenges matching the member's skills and interests, then those their past collaborators joined."""
    if not getattr(user, "is_authenticated", False):
        return []
    tags = _profile_tags()
    mine = select(MemberFirst.scope_id).where(MemberFirst.user_id == user.id, MemberFirst.scope_id != SITE)
    candidates = select(Challenge.id).where(Challenge.phase.in_(OPEN_PHASES), Challenge.owner_id != user.id,
                                            Challenge.id.not_in(mine))
    by_tags = db.session.execute(
        select(challenge_tags.c.challenge_id, func.count(func.distinct(challenge_tags.c.tag_id)))
        .join(tags, tags.c.tag_id == challenge_tags.c.tag_id)
        .where(tags.c.user_id == user.id, challenge_tags.c.challenge_id.in_(candidates))
        .group_by(challenge_tags.c.challenge_id)).all()
    collaborators = select(MemberFirst.user_id).where(MemberFirst.scope_id.in_(mine), MemberFirst.user_id != user.id)
    by_people = db.session.execute(
        select(MemberFirst.scope_id, func.count(func.distinct(MemberFirst.user_id)))
        .where(MemberFirst.user_id.in_(collaborators), MemberFirst.scope_id.in_(candidates))
        .group_by(MemberFirst.scope_id)).all()
    reasons = {}
    for challenge_id, count in by_tags:
        reasons[challenge_id] = [count, 0]
    for challenge_id, count in by_people:
        reasons.setdefault(challenge_id, [0, 0])[1] = count
    ranked = sorted(reasons, key=lambda cid: (-reasons[cid][0], -reasons[cid][1], cid))[:limit]
    if not ranked:
        return []
    challenges = {c.id: c for c in db.session.scalars(select(Challenge).where(Challenge.id.in_(ranked)))}
    return [(challenges[cid], reasons[cid][0], reasons[cid][1]) for cid in ranked if cid in challenges]


def opted_out(user):
    preference = db.session.get(CommunityPreference, user.id)
    return bool(preference and preference.no_invitations)


def set_opt_out(user, value):
    preference = db.session.get(CommunityPreference, user.id)
    if preference is None:
        preference = CommunityPreference(user_id=user.id)
        db.session.add(preference)
    preference.no_invitations = bool(value)
    db.session.flush()
