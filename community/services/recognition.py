"""Recognition: badges (awarded by jobs), thanks, contributor of the month.

Only public content counts, suspended members are never proposed, and
every award is an insert of what is missing: running a job twice adds nothing.
"""
import json
from collections import defaultdict
from datetime import timedelta
from functools import cache

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import aliased

from app import clock, permissions
from app.auth.models import User
from app.extensions import db
from app.permissions import public_ideas_clause
from challenges.models import Challenge, Comment, Idea
from community.models import SITE, Badge, ContributorOfMonth, MemberMonth, Thanks
from community.services import holdups
from community.services.days import day_start, insert_ignore, month_of, next_month
from voting.models import IdeaMilestone, Support

BADGES = {
    "first-idea": ("First idea", "Shared a first idea that the community can see."),
    "first-published": ("Published", "Had an idea published."),
    "builder": ("Builder", "Wrote an idea someone else built on."),
    "selected": ("Selected", "Had an idea selected by a challenge's owner."),
    "helpful-commenter": ("Helpful commenter", "Wrote a comment the idea's author thanked."),
    "steady": ("Steady contributor", "Contributed in three consecutive months."),
    "holdup-participant": ("Hold-up participant", "Took part in a hold-up: a note, a question or a dot on its board."),
    "holdup-facilitator": ("Hold-up facilitator", "Facilitated a hold-up session."),
}
MILESTONE_BADGE = ("Milestone {level}", "An idea reached milestone {level} of its ladder.")

# The contributor-of-the-month score: points per thing done in the month.
SCORE_POINTS = {"published_ideas": 5, "supports_received": 1, "replies": 2, "built_on": 3, "thanks_received": 2,
                "holdups": 4}
SCORE_RULES = {
    "published_ideas": "per public idea shared",
    "supports_received": "per support received from someone else",
    "replies": "per published comment",
    "built_on": "per idea by someone else that builds on theirs",
    "thanks_received": "per thanks received",
    "holdups": "per hold-up taken part in (a note, a question or a dot on its board)",
}
SCORE_LABELS = {
    "published_ideas": "public ideas shared",
    "supports_received": "supports received from others",
    "replies": "published comments",
    "built_on": "ideas by others that build on theirs",
    "thanks_received": "thanks received",
    "holdups": "hold-ups taken part in",
}


class RecognitionError(ValueError):
    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
        self.message = message


def badge_label(kind):
    if kind.startswith("milestone-"):
        level = kind.split("-", 1)[1]
        return MILESTONE_BADGE[0].format(level=level), MILESTONE_BADGE[1].format(level=level)
    return BADGES.get(kind, (kind, ""))


# Badges


def award_badges():
    """Insert every badge earned and not yet held. Returns how many were checked."""
    public = (select(Idea.author_id).join(Challenge, Challenge.id == Idea.challenge_id).where(public_ideas_clause()))
    earned = set()
    for (author_id,) in db.session.execute(public.distinct()):
        earned |= {(author_id, "first-idea"), (author_id, "first-published")}
    child = aliased(Idea)
    for (author_id,) in db.session.execute(
            public.join(child, child.builds_on_id == Idea.id)
            .where(child.is_public.is_(True), child.author_id != Idea.author_id).distinct()):
        earned.add((author_id, "builder"))
    for (author_id,) in db.session.execute(public.where(Idea.status == "selected").distinct()):
        earned.add((author_id, "selected"))
    for author_id, reached in db.session.execute(
            select(Idea.author_id, func.max(IdeaMilestone.reached)).join(IdeaMilestone, IdeaMilestone.idea_id == Idea.id)
            .join(Challenge, Challenge.id == Idea.challenge_id).where(public_ideas_clause())
            .group_by(Idea.author_id)):
        earned |= {(author_id, f"milestone-{level}") for level in range(1, (reached or 0) + 1)}
    for (author_id,) in db.session.execute(
            select(Comment.author_id).join(Thanks, and_(Thanks.item_kind == "comment", Thanks.item_id == Comment.id))
            .join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
            .where(Comment.status == "published", public_ideas_clause(), Thanks.user_id == Idea.author_id).distinct()):
        earned.add((author_id, "helpful-commenter"))
    earned |= {(user_id, "holdup-participant") for _, user_id in db.session.execute(holdups.attendees())}
    earned |= {(user_id, "holdup-facilitator") for (user_id,) in db.session.execute(holdups.facilitators())}
    months = defaultdict(set)
    for user_id, month in db.session.execute(
            select(MemberMonth.user_id, MemberMonth.month).where(MemberMonth.scope_id == SITE)):
        months[user_id].add(month)
    for user_id, active in months.items():
        if any(next_month(m) in active and next_month(next_month(m)) in active for m in active):
            earned.add((user_id, "steady"))
    held = set(db.session.execute(select(Badge.user_id, Badge.kind)).all())
    now = clock.now()
    insert_ignore(Badge, [{"user_id": u, "kind": k, "earned_at": now} for u, k in sorted(earned - held)])
    return len(earned)


def badges_of(user_id):
    rows = db.session.scalars(select(Badge).where(Badge.user_id == user_id).order_by(Badge.earned_at, Badge.kind))
    return [(badge.kind, *badge_label(badge.kind), badge.earned_at) for badge in rows]


# Thanks


def _thanked_item(kind, item_id):
    """(author_id, idea_id, is_public) of a public idea or comment, or None."""
    if kind == "idea":
        row = db.session.execute(select(Idea.author_id, Idea.id, Idea.is_public, Challenge.phase)
                                 .join(Challenge, Challenge.id == Idea.challenge_id).where(Idea.id == item_id)).first()
        return row and (row[0], row[1], row[2] and row[3] != "draft")
    if kind == "comment":
        row = db.session.execute(select(Comment.author_id, Comment.idea_id, Comment.status, Idea.is_public, Challenge.phase)
                                 .join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
                                 .where(Comment.id == item_id)).first()
        return row and (row[0], row[1], row[2] == "published" and row[3] and row[4] != "draft")
    return None


def thank(user, kind, item_id):
    """One thanks per member and item; a second does nothing. Returns the idea id to go back to."""
    item = _thanked_item(kind, item_id)
    if item is None or not item[2]:
        raise LookupError("No such public item.")
    author_id, idea_id, is_public = item
    decision = permissions.can_thank(user, author_id, is_public)
    if not decision:
        error = PermissionError(decision.reason)
        error.idea_id = idea_id  # where to show the refusal
        raise error
    insert_ignore(Thanks, [{"user_id": user.id, "item_kind": kind, "item_id": item_id, "recipient_id": author_id,
                            "created_at": clock.now()}])
    return idea_id


@cache
def _idea_page_thanks_statement():
    comment_ids = select(Comment.id).where(Comment.idea_id == bindparam("idea_id"))
    where = ((Thanks.item_kind == "idea") & (Thanks.item_id == bindparam("idea_id"))) | (
        (Thanks.item_kind == "comment") & Thanks.item_id.in_(comment_ids))
    # Built once (bound idea and member): building it cost more than running it, on every idea page.
    return (select(Thanks.item_kind, Thanks.item_id, func.count(),
                   func.max(case((Thanks.user_id == bindparam("me"), 1), else_=0)))
            .where(where).group_by(Thanks.item_kind, Thanks.item_id))


def thanks_on_idea_page(idea_id, user):
    """{(kind, id): count} for the idea and its comments, and the items this user thanked: one query."""
    me = user.id if getattr(user, "is_authenticated", False) else -1
    counts, mine = {}, set()
    for kind, item_id, count, by_me in db.session.execute(_idea_page_thanks_statement(),
                                                          {"idea_id": idea_id, "me": me}):
        counts[(kind, item_id)] = count
        if by_me:
            mine.add((kind, item_id))
    return counts, mine


# Contributor of the month


def scores(scope_id, month):
    """{user_id: {part: count}} for the month, from public content only; suspended members left out."""
    start, end = day_start(month), day_start(next_month(month))
    scoped = [] if scope_id == SITE else [Idea.challenge_id == scope_id]
    parts = defaultdict(lambda: dict.fromkeys(SCORE_POINTS, 0))

    def add(part, query):
        for user_id, count in db.session.execute(query):
            parts[user_id][part] += count

    base = select(Idea.author_id, func.count()).join(Challenge, Challenge.id == Idea.challenge_id).where(
        public_ideas_clause(), *scoped)
    add("published_ideas", base.where(Idea.created_at >= start, Idea.created_at < end).group_by(Idea.author_id))
    add("supports_received", base.join(Support, Support.idea_id == Idea.id).where(
        Support.user_id != Idea.author_id, Support.created_at >= start, Support.created_at < end)
        .group_by(Idea.author_id))
    add("replies", select(Comment.author_id, func.count()).join(Idea, Idea.id == Comment.idea_id)
        .join(Challenge, Challenge.id == Idea.challenge_id)
        .where(public_ideas_clause(), *scoped, Comment.status == "published", Comment.created_at >= start,
               Comment.created_at < end).group_by(Comment.author_id))
    child = aliased(Idea)
    add("built_on", base.join(child, child.builds_on_id == Idea.id).where(
        child.is_public.is_(True), child.author_id != Idea.author_id, child.created_at >= start,
        child.created_at < end).group_by(Idea.author_id))
    add("thanks_received", select(Thanks.recipient_id, func.count()).join(
        Idea, and_(Thanks.item_kind == "idea", Thanks.item_id == Idea.id)).join(
        Challenge, Challenge.id == Idea.challenge_id).where(
        public_ideas_clause(), *scoped, Thanks.created_at >= start, Thanks.created_at < end)
        .group_by(Thanks.recipient_id))
    add("thanks_received", select(Thanks.recipient_id, func.count()).join(
        Comment, and_(Thanks.item_kind == "comment", Thanks.item_id == Comment.id)).join(
        Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id).where(
        public_ideas_clause(), *scoped, Comment.status == "published", Thanks.created_at >= start,
        Thanks.created_at < end).group_by(Thanks.recipient_id))
    for user_id, count in holdups.attended_in(start, end, None if scope_id == SITE else scope_id).items():
        parts[user_id]["holdups"] += count
    if parts:
        now = clock.now()
        suspended = set(db.session.scalars(select(User.id).where(User.id.in_(list(parts)), User.suspended_until > now)))
        for user_id in suspended:
            parts.pop(user_id, None)
    return dict(parts)


def total(parts):
    return sum(SCORE_POINTS[part] * count for part, count in parts.items())


def propose(scope_id, month):
    """Propose the month's top scorer (ties: the earlier member), unless the owner already decided."""
    row = db.session.get(ContributorOfMonth, (scope_id, month))
    if row is not None and row.status != "proposed":
        return row
    ranked = sorted(scores(scope_id, month).items(), key=lambda item: (-total(item[1]), item[0]))
    ranked = [item for item in ranked if total(item[1]) > 0]
    if not ranked:
        if row is not None:
            db.session.delete(row)
        return None
    user_id, parts = ranked[0]
    if row is None:
        row = ContributorOfMonth(scope_id=scope_id, month=month)
        db.session.add(row)
    row.proposed_id = row.user_id = user_id
    row.score = total(parts)
    row.breakdown = json.dumps(parts, sort_keys=True)
    row.status = "proposed"
    db.session.flush()
    return row


def propose_all(month=None):
    """The job: this month's proposals (kept current as the month goes) and, early in a month, last month's."""
    today = clock.now().date()
    months = [month] if month else [month_of(today)] + ([month_of(today - timedelta(days=7))]
                                                        if today.day <= 7 else [])
    challenge_ids = db.session.scalars(select(Challenge.id).where(Challenge.phase != "draft")).all()
    for each in months:
        for scope_id in [SITE, *challenge_ids]:
            propose(scope_id, each)


def decide(user, challenge, month, username="", reason=""):
    """Confirm the proposal, or replace it with another member and a reason. Flushes."""
    if not permissions.can_decide_contributor(user, challenge):
        raise PermissionError("Only the challenge's owner or an admin decides.")
    scope_id = challenge.id if challenge else SITE
    row = db.session.get(ContributorOfMonth, (scope_id, month))
    if row is None:
        raise RecognitionError("username", "There is no proposal for this month yet.")
    if username:
        from app.auth.services import username_key

        member = db.session.scalar(select(User).where(User.username_key == username_key(username)))
        if member is None:
            raise RecognitionError("username", f"No member is called “{username}”.")
        if member.is_suspended():
            raise RecognitionError("username", "A suspended member cannot be contributor of the month.")
        if not reason:
            raise RecognitionError("reason", "Say why you replace the proposal.")
        row.user_id, row.status, row.reason = member.id, "replaced", reason
    else:
        row.user_id, row.status, row.reason = row.proposed_id, "confirmed", ""
    row.decided_by_id, row.decided_at = user.id, clock.now()
    db.session.flush()
    return row


def proposal(scope_id):
    """The latest month's row (proposed or decided), with names, for the dashboard."""
    row = db.session.scalar(select(ContributorOfMonth).where(ContributorOfMonth.scope_id == scope_id)
                            .order_by(ContributorOfMonth.month.desc()).limit(1))
    return _described(row)


def announced(scope_id):
    """The latest confirmed (or replaced) contributor of the month, or None."""
    row = db.session.scalar(select(ContributorOfMonth).where(
        ContributorOfMonth.scope_id == scope_id, ContributorOfMonth.status.in_(("confirmed", "replaced")))
        .order_by(ContributorOfMonth.month.desc()).limit(1))
    return _described(row)


def announcements_for(user_id):
    rows = db.session.scalars(select(ContributorOfMonth).where(
        ContributorOfMonth.user_id == user_id, ContributorOfMonth.status.in_(("confirmed", "replaced")))
        .order_by(ContributorOfMonth.month.desc()).limit(12)).all()
    titles = dict(db.session.execute(select(Challenge.id, Challenge.title).where(
        Challenge.id.in_([r.scope_id for r in rows]))).all()) if rows else {}
    return [{"month": r.month, "where": titles.get(r.scope_id, "the whole site"), "scope_id": r.scope_id}
            for r in rows]


def _described(row):
    if row is None:
        return None
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({row.user_id, row.proposed_id})))}
    parts = json.loads(row.breakdown or "{}")
    return {
        "row": row, "month": row.month, "user": users.get(row.user_id), "proposed": users.get(row.proposed_id),
        "breakdown": [(SCORE_LABELS[p], count, SCORE_POINTS[p] * count) for p, count in parts.items() if p in SCORE_LABELS],
    }



@cache
def _challenge_part_statement():
    from community.models import EngagementPlan

    decided = ContributorOfMonth.status.in_(("confirmed", "replaced"))
    latest = (select(ContributorOfMonth.month).where(ContributorOfMonth.scope_id == bindparam("challenge_id"), decided)
              .order_by(ContributorOfMonth.month.desc()).limit(1).scalar_subquery())
    member = aliased(User)
    # Built once (bound challenge id): building it cost more than running it, on every challenge page.
    return (select(EngagementPlan, ContributorOfMonth, member).select_from(Challenge)
            .outerjoin(EngagementPlan, EngagementPlan.challenge_id == Challenge.id)
            .outerjoin(ContributorOfMonth, and_(ContributorOfMonth.scope_id == Challenge.id,
                                                ContributorOfMonth.month == latest, decided))
            .outerjoin(member, member.id == ContributorOfMonth.user_id)
            .where(Challenge.id == bindparam("challenge_id")))


def challenge_page_part(challenge_id):
    """The plan and the announced contributor of the month for a challenge page, in one query."""
    row = db.session.execute(_challenge_part_statement(), {"challenge_id": challenge_id}).first()
    if row is None:
        return None, None
    plan, chosen, user = row
    return plan, ({"month": chosen.month, "user": user} if chosen is not None and user is not None else None)
