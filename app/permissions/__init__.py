"""The one place that decides who may see or do what, and why not.

Every function takes the acting user first; an anonymous visitor is passed
as Flask-Login's AnonymousUserMixin (or None) and is treated the same.
Functions named `can_*` return a `Verdict`: true when allowed, false when
refused, with the reason shown to the person in `.reason`, so no service or
route rebuilds the message. `require(verdict)` raises `Refused` with it.
Lists, counts, search and feeds ask the `*_clause` functions here, so hidden
content stays hidden everywhere.

A feature with rules of its own adds a module beside this one and one
`from app.permissions.<feature> import *` line at the end of this file.
"""
from flask import g, has_request_context
from sqlalchemy import false, or_, select, true

from app import clock
from app.limits import COMMENT_EDIT_WINDOW, IDEA_EDIT_SUPPORTER_LIMIT

COMMENT_PHASES = ("submission", "voting", "review", "results")
PUBLIC_COMMENT_STATUSES = ("published", "deleted")
NOT_ALLOWED = "You are not allowed to do that."


class Verdict:
    """Allowed (true), or refused (false) with the reason a person reads and the HTTP status that fits."""

    __slots__ = ("reason", "status")

    def __init__(self, reason=None, status=403):
        self.reason = reason
        self.status = status

    def __bool__(self):
        return self.reason is None

    def __repr__(self):
        return "Verdict(allowed)" if self else f"Verdict(refused: {self.reason!r}, {self.status})"


ALLOWED = Verdict()


def refuse(reason=NOT_ALLOWED, status=403):
    return Verdict(reason, status)


def verdict(allowed, reason=NOT_ALLOWED, status=403):
    return ALLOWED if allowed else refuse(reason, status)


class Refused(Exception):
    """An action refused, with the reason for the person (and the form field it concerns, if any).

    Every feature's error class derives from it. A route that has a form puts
    `message` beside `field`; anything uncaught is answered by one error
    handler with `status` (403 for access, 422 for input) and the reason.
    """

    status = 403

    def __init__(self, message=NOT_ALLOWED, field=None, status=None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status


def require(decision, field=None, error=None):
    """Raise when the verdict refuses; return None otherwise.

    A refusal about what was asked (status 422: the phase, the item's state)
    raises the feature's `error` class, which its form shows beside `field`;
    any other raises `Refused` with its status (403, 404).
    """
    if decision:
        return
    reason, status = getattr(decision, "reason", NOT_ALLOWED), getattr(decision, "status", 403)
    if status == 422 and error is not None:
        raise error(reason, field)
    raise Refused(reason, field, status)


# People


def is_signed_in(user):
    """Logged in (suspended or not)."""
    return user is not None and getattr(user, "is_authenticated", False)


def can_contribute(user, now=None):
    """Logged in and not suspended: may contribute."""
    if not is_signed_in(user):
        return refuse("Log in to take part.", 401)
    if user.is_suspended(now):
        until = clock.aware(user.suspended_until)
        return refuse(f"Your account is suspended until {until:%d %B %Y, %H:%M} UTC: you can read, not contribute.")
    return ALLOWED


def is_admin(user):
    return is_signed_in(user) and user.is_admin


def is_site_moderator(user):
    return is_signed_in(user) and (user.is_moderator or user.is_admin)


def can_manage_roles(user):
    return verdict(is_admin(user), "Only admins grant and revoke roles.")


def can_edit_profile(user, profile_owner):
    if not (is_signed_in(user) and user.id == profile_owner.id):
        return refuse("You can only edit your own profile.")
    return can_contribute(user)


# Challenges


def can_manage_challenge(user, challenge):
    """Edit, publish, move phases, review: the owner, or an admin."""
    return verdict(is_signed_in(user) and (user.id == challenge.owner_id or user.is_admin),
                   "Only the challenge's owner can do that.")


def can_view_challenge(user, challenge):
    return verdict(not challenge.is_draft or can_manage_challenge(user, challenge), "No such challenge.", 404)


def visible_challenges_clause(user):
    from challenges.models import Challenge

    if is_admin(user):
        return true()
    if is_signed_in(user):
        return or_(Challenge.phase != "draft", Challenge.owner_id == user.id)
    return Challenge.phase != "draft"


def submission_verdict(challenge, now=None):
    """Whether the challenge takes new ideas now, whoever asks."""
    from challenges.state import challenge_state  # the one place that names a challenge's state

    state = challenge_state(challenge, now)
    return ALLOWED if state.takes_ideas else refuse(state.notice, 422)


def can_submit_idea(user, challenge, now=None):
    return can_contribute(user, now) and can_view_challenge(user, challenge) and submission_verdict(challenge, now)


def can_see_results(user, challenge):
    """Announced results are public; the owner previews them before."""
    return verdict(challenge.phase in ("results", "closed") or can_manage_challenge(user, challenge),
                   "The results are not announced yet.")


def can_review_ideas(user, challenge):
    if not (decision := can_manage_challenge(user, challenge)):
        return decision
    return verdict(challenge.phase in ("review", "results"), "Ideas are reviewed in the review and results phases.")


# Ideas


def public_ideas_clause():
    """The condition every public list, count, search and feed applies."""
    from challenges.models import Challenge, Idea

    return Idea.is_public.is_(True) & (Challenge.phase != "draft")


def can_view_idea(user, idea, challenge):
    if not can_view_challenge(user, challenge):
        return refuse("No such idea.", 404)
    if idea.is_public:
        return ALLOWED
    if is_signed_in(user) and user.id == idea.author_id and idea.status != "merged":
        return ALLOWED
    return verdict(can_moderate(user, challenge.id), "No such idea.", 404)


def can_edit_idea(user, idea):
    if not (is_signed_in(user) and user.id == idea.author_id):
        return refuse("Only the author can edit this idea.")
    if idea.status not in ("pending", "published"):
        return refuse("An idea can be edited only while it waits for a moderator or gathers support.")
    if idea.supporter_count >= IDEA_EDIT_SUPPORTER_LIMIT:
        return refuse(f"An idea with {IDEA_EDIT_SUPPORTER_LIMIT} supporters or more can no longer be edited.")
    return can_contribute(user)


def can_withdraw_idea(user, idea):
    if not (is_signed_in(user) and user.id == idea.author_id and idea.status in ("pending", "published")):
        return refuse("Only the author may withdraw an idea still in play.")
    return can_contribute(user)


# Comments


def can_comment(user, idea, challenge):
    if not (decision := can_contribute(user)):
        return decision
    if not idea.is_public:
        return refuse("Comments open once the idea is published.")
    if idea.comments_locked:
        return refuse("Comments on this idea are locked by a moderator.", 422)
    if challenge.phase not in COMMENT_PHASES:
        return refuse(f"Comments are closed: this challenge is {challenge.phase_label.lower()}.", 422)
    return ALLOWED


def can_edit_comment(user, comment, now=None):
    if not (is_signed_in(user) and user.id == comment.author_id and not comment.is_deleted):
        return refuse("Only the author can edit a comment.")
    if comment.status not in ("published", "pending"):
        return refuse("A comment a moderator hid can no longer be edited.")
    if (now or clock.now()) - clock.aware(comment.created_at) > COMMENT_EDIT_WINDOW:
        return refuse(f"Comments can be edited for {COMMENT_EDIT_WINDOW.seconds // 60} minutes after posting.")
    return can_contribute(user, now)


def can_delete_comment(user, comment):
    return verdict(is_signed_in(user) and user.id == comment.author_id and not comment.is_deleted,
                   "Only the author may delete a comment.")


def comment_visibility(user, challenge_id):
    """A test `comment -> bool` for the comments of one challenge, asked once per page.

    Pending and hidden comments show only to their author and the challenge's
    moderators; whether the viewer moderates is looked up only when needed.
    """
    viewer_id = user.id if is_signed_in(user) else None
    moderates = []

    def visible(comment):
        if comment.status in PUBLIC_COMMENT_STATUSES or (viewer_id is not None and comment.author_id == viewer_id):
            return True
        if not moderates:
            moderates.append(bool(can_moderate(user, challenge_id)))
        return moderates[0]

    return visible


def can_view_comment(user, comment, challenge_id):
    return verdict(comment_visibility(user, challenge_id)(comment), "No such comment.", 404)


# Moderation


def can_moderate(user, challenge_id):
    """Site moderators everywhere; appointed moderators in their challenge."""
    if is_site_moderator(user):
        return ALLOWED
    if not is_signed_in(user) or challenge_id is None:
        return refuse("Only the challenge's moderators can do that.")
    return verdict(_appointed(user.id, challenge_id), "Only the challenge's moderators can do that.")


def _appointed(user_id, challenge_id):
    """Whether the member moderates the challenge, looked up once per request (a page asks per comment)."""
    cache = g.setdefault("kindling_appointed", {}) if has_request_context() else {}
    key = (user_id, challenge_id)
    if key not in cache:
        from app.extensions import db
        from challenges.models import ChallengeModerator

        cache[key] = db.session.get(ChallengeModerator, key[::-1]) is not None
    return cache[key]


def can_decide(user, author_id, challenge_id):
    """Decide a case: a moderator of the challenge, never about their own contribution."""
    if not (decision := can_moderate(user, challenge_id)):
        return decision
    if author_id is not None and is_signed_in(user) and user.id == author_id:
        return refuse("This is your own contribution: it needs another moderator.", 422)
    return ALLOWED


def moderated_challenges_clause(user):
    """Which challenges' items this user may moderate, as a SQL condition (never another's draft)."""
    from challenges.models import Challenge, ChallengeModerator

    if not is_signed_in(user):
        return false()
    if is_site_moderator(user):
        return visible_challenges_clause(user)
    appointed = select(ChallengeModerator.challenge_id).where(ChallengeModerator.user_id == user.id)
    return Challenge.id.in_(appointed) & visible_challenges_clause(user)


def can_use_moderation_desk(user):
    """Site moderators, and members appointed to moderate at least one challenge (asked once per request)."""
    if is_site_moderator(user):
        return ALLOWED
    if not is_signed_in(user):
        return refuse("Only moderators use the moderation desk.")
    cache = g.setdefault("kindling_desk_access", {}) if has_request_context() else {}
    if user.id not in cache:
        from app.extensions import db
        from challenges.models import ChallengeModerator

        cache[user.id] = db.session.scalar(
            select(ChallengeModerator.user_id).where(ChallengeModerator.user_id == user.id).limit(1)) is not None
    return verdict(cache[user.id], "Only moderators use the moderation desk.")


def can_flag(user, author_id, status=None):
    """Members flag others' contributions; authors and suspended members cannot, nor a deleted comment."""
    if not (decision := can_contribute(user)):
        return decision
    if status == "deleted":
        return refuse("This comment was deleted.", 422)
    return verdict(user.id != author_id, "You cannot flag your own contribution.", 422)


def can_appeal(user, item_author_id, item_status):
    """The author of a rejected contribution may appeal (once: the service checks the record)."""
    if not (is_signed_in(user) and user.id == item_author_id):
        return refuse("Only the author may appeal.")
    # Suspended or not: suspension leaves reading and appealing (issue 14, item 6).
    return verdict(item_status == "rejected", "Only a rejected contribution can be appealed.", 422)


def can_suspend(user):
    return verdict(is_site_moderator(user), "Only site moderators suspend members.")


def can_appoint_moderators(user, challenge):
    return can_manage_challenge(user, challenge)


def can_appoint(user, challenge, member):
    """Appoint `member` to moderate `challenge`: its owner (or an admin), never the owner themselves."""
    if not (decision := can_appoint_moderators(user, challenge)):
        return decision
    return verdict(member.id != challenge.owner_id,
                   "The owner cannot moderate their own challenge: appoint someone else.", 422)


def can_edit_watched_words(user):
    return verdict(is_admin(user), "Only admins edit watched words.")


# Voting


def can_support(user, idea, challenge, now=None):
    """Support or withdraw: an active member, not the author, on a gathering idea while votes are taken."""
    if not (decision := can_contribute(user, now)):
        return decision
    if user.id == idea.author_id:
        return refuse("You cannot support your own idea.", 422)
    return can_change_support(user, idea, challenge, now)


def can_change_support(user, idea, challenge, now=None):
    """Withdraw a support: like supporting, except that the author question does not arise."""
    if not (decision := can_contribute(user, now)):
        return decision
    if not can_view_challenge(user, challenge):
        return refuse("No such idea.", 404)
    if idea.status != "published":
        return refuse("Supports change only while an idea is gathering support.", 422)
    if not challenge.takes_votes(now or clock.now()):
        return refuse(f"Voting is closed: this challenge is {challenge.phase_label.lower()}.", 422)
    return ALLOWED


def can_manage_voting(user, challenge):
    """Set the milestone ladder, open and close dot-votes and pairwise rounds."""
    return can_manage_challenge(user, challenge)


def can_dot_vote(user, challenge, dot_round):
    # The hold-up feature may narrow this to registered participants.
    if not (decision := can_contribute(user)):
        return decision
    return verdict(can_view_challenge(user, challenge) and dot_round is not None, "Only participants can place dots.")


def can_vote_pairwise(user, challenge, pairwise_round):
    if not (decision := can_contribute(user)):
        return decision
    return verdict(can_view_challenge(user, challenge) and pairwise_round is not None,
                   "Only members can compare ideas.")


from app.permissions.holdups import *  # noqa
from app.permissions.notifications import *  # noqa
from app.permissions.community import *  # noqa
from app.permissions.uploads import *  # noqa
from app.permissions.edits import *  # noqa
