"""The rules of challenges, ideas, comments and follows.

Services take the acting user, check permissions and phases, change rows
and stored counters together, flush, and send a signal. They never commit.
A broken rule raises ChallengeError (or a subclass) with a message for
people, and the name of the form field it concerns when there is one.
"""
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from sqlalchemy import delete, func, inspect, literal, select, union_all, update
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app import clock, permissions, signals
from app.extensions import db, insert_if_absent
from app.markdown import render_markdown, render_markdown_lite
from app.tags import tags_named
from challenges.models import (
    FORMATS,
    IDEA_PUBLIC,
    MODERATION_POLICIES,
    PHASES,
    Challenge,
    ChallengeFollow,
    Comment,
    Idea,
    IdeaFollow,
    IdeaRevision,
    NormsAcceptance,
)

IDEA_TITLE = (10, 120)
IDEA_DESCRIPTION = (30, 10_000)
IDEA_TAG_LIMIT = 5
CHALLENGE_TAG_LIMIT = 8
COMMENT_MAX = 2_000
COMMENT_MAX_DEPTH = 2  # 0, 1, 2: three levels
TRUSTED_AFTER = 3  # published contributions before a member skips pre-moderation
RANDOM_KEY_SPACE = 2**31

REVIEW_DECISIONS = ("shortlisted", "selected", "not_selected")
_REVIEWABLE = ("published", "in_review", "shortlisted", "selected", "not_selected", "expired")

# Every idea status change goes through this table.
IDEA_TRANSITIONS = {
    "pending": {"published", "rejected", "hidden", "withdrawn", "merged"},
    "published": {"in_review", "expired", "hidden", "merged", "withdrawn", "rejected", *REVIEW_DECISIONS},
    "in_review": {"hidden", "merged", "expired", *REVIEW_DECISIONS},
    "shortlisted": {"hidden", "in_review", *REVIEW_DECISIONS},
    "selected": {"hidden", *REVIEW_DECISIONS},
    "not_selected": {"hidden", *REVIEW_DECISIONS},
    "expired": {"hidden", "merged", "published", *REVIEW_DECISIONS},
    "rejected": {"published", "pending"},
    "hidden": {"published", "pending", "in_review", "shortlisted", "selected", "not_selected", "expired"},
    "merged": {"published", "in_review", "expired"},
    "withdrawn": set(),
}


class ChallengeError(ValueError):
    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


class PhaseError(ChallengeError):
    pass


class NormsNotAccepted(ChallengeError):
    pass


class StatusError(ChallengeError):
    pass


def _require(allowed, message="You are not allowed to do that."):
    if not allowed:
        raise PermissionError(message)


# Challenges


def slugify(text):
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "challenge"


def unique_slug(title, exclude_id=None):
    base = slugify(title)
    taken = set(
        db.session.scalars(
            select(Challenge.slug).where(
                (Challenge.slug == base) | Challenge.slug.like(f"{base}-%"),
                Challenge.id != (exclude_id or 0),
            )
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def day_start(day):
    """Phases change at midnight UTC of the chosen day."""
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass
class Schedule:
    submission_at: datetime
    review_at: datetime
    results_at: datetime
    voting_at: datetime | None = None
    closed_at: datetime | None = None

    def problems(self, is_open):
        """(field, message) pairs for dates that go backwards."""
        found = []
        order = [("submission_at", self.submission_at)]
        if not is_open:
            if self.voting_at is None:
                found.append(("voting_at", "Give the day voting opens, or make this an open challenge."))
            else:
                order.append(("voting_at", self.voting_at))
        order += [("review_at", self.review_at), ("results_at", self.results_at)]
        if self.closed_at is not None:
            order.append(("closed_at", self.closed_at))
        for (_, earlier), (name, later) in zip(order, order[1:], strict=False):
            if later <= earlier:
                found.append((name, "This date must come after the phase before it."))
        return found


def _apply_challenge_fields(challenge, *, title, summary, problem, norms, format, is_open, moderation_policy,
                            tags, schedule):
    if format not in FORMATS:
        raise ChallengeError("Choose a format.", "format")
    if moderation_policy not in MODERATION_POLICIES:
        raise ChallengeError("Choose a moderation policy.", "moderation_policy")
    for name, message in schedule.problems(is_open):
        raise ChallengeError(message, name)
    challenge.title = title
    challenge.summary = summary
    challenge.problem = problem
    challenge.problem_html = render_markdown(problem)
    challenge.norms = norms
    challenge.norms_html = render_markdown(norms)
    challenge.format = format
    challenge.is_open = is_open
    challenge.moderation_policy = moderation_policy
    challenge.tags = tags_named(tags)
    challenge.submission_at = schedule.submission_at
    challenge.voting_at = None if is_open else schedule.voting_at
    challenge.review_at = schedule.review_at
    challenge.results_at = schedule.results_at
    challenge.closed_at = schedule.closed_at


def create_challenge(owner, **fields):
    """A new draft owned by `owner`; only they (and admins) see it until published."""
    _require(permissions.active_member(owner), "Log in with an active account to create a challenge.")
    challenge = Challenge(owner_id=owner.id, phase="draft", slug=unique_slug(fields["title"]))
    _apply_challenge_fields(challenge, **fields)
    db.session.add(challenge)
    db.session.flush()
    follow_challenge(owner, challenge)
    return challenge


def update_challenge(actor, challenge, **fields):
    _require(permissions.can_manage_challenge(actor, challenge))
    _apply_challenge_fields(challenge, **fields)
    db.session.flush()
    signals.challenge_edited.send(challenge, challenge_id=challenge.id)
    return challenge


def phase_by_schedule(challenge, now):
    """The phase the dates call for at `now` (a published challenge)."""
    current = "submission"
    for phase, start in (
        ("voting", challenge.voting_at),
        ("review", challenge.review_at),
        ("results", challenge.results_at),
        ("closed", challenge.closed_at),
    ):
        if start is not None and clock.aware(start) <= now:
            current = phase
    return current


def publish_challenge(actor, challenge):
    _require(permissions.can_manage_challenge(actor, challenge))
    if not challenge.is_draft:
        raise PhaseError("This challenge is already published.")
    now = clock.now()
    challenge.published_at = now
    _set_phase(challenge, phase_by_schedule(challenge, now), now)
    signals.challenge_published.send(challenge, challenge_id=challenge.id)
    return challenge


def _set_phase(challenge, phase, now):
    before = challenge.phase
    challenge.phase = phase
    challenge.phase_changed_at = now
    db.session.flush()
    if before != phase:
        signals.challenge_phase_changed.send(challenge, challenge_id=challenge.id, before=before, after=phase)


def move_phase(actor, challenge, phase):
    """The owner moves the challenge to any phase by hand (not back to draft)."""
    _require(permissions.can_manage_challenge(actor, challenge))
    if challenge.is_draft:
        raise PhaseError("Publish the challenge before moving its phases.")
    if phase not in PHASES or phase == "draft":
        raise PhaseError("Choose a phase to move to.", "phase")
    if phase == "voting" and challenge.is_open:
        raise PhaseError("An open challenge takes votes during submission; it has no separate voting phase.", "phase")
    if phase == challenge.phase:
        raise PhaseError(f"The challenge is already in {challenge.phase_label.lower()}.", "phase")
    _set_phase(challenge, phase, clock.now())
    return challenge


def tick_phases(now=None):
    """Move every published challenge whose next phase date has passed. Idempotent.

    A date only counts when it passed after the last phase change, so a
    phase the owner set by hand stays until the next date in the schedule.
    """
    now = now or clock.now()
    moved = []
    candidates = db.session.scalars(
        select(Challenge).where(Challenge.phase.notin_(("draft", "closed"))).order_by(Challenge.id)
    )
    for challenge in candidates:
        target = phase_by_schedule(challenge, now)
        if PHASES.index(target) <= PHASES.index(challenge.phase):
            continue
        start = _phase_start(challenge, target)
        if start is not None and clock.aware(start) > clock.aware(challenge.phase_changed_at):
            _set_phase(challenge, target, now)
            moved.append(challenge.id)
    return moved


def _phase_start(challenge, phase):
    return {
        "submission": challenge.submission_at,
        "voting": challenge.voting_at,
        "review": challenge.review_at,
        "results": challenge.results_at,
        "closed": challenge.closed_at,
    }[phase]


def accepts_ideas(challenge, now=None):
    now = now or clock.now()
    return challenge.phase == "submission" and clock.aware(challenge.submission_at) <= now


def accepts_votes(challenge, now=None):
    if challenge.phase == "voting":
        return True
    return challenge.is_open and accepts_ideas(challenge, now)


def submission_problem(challenge, now=None):
    """Why ideas cannot be submitted now, or None."""
    now = now or clock.now()
    if challenge.is_draft:
        return "This challenge is not published yet."
    if challenge.phase == "submission" and clock.aware(challenge.submission_at) > now:
        return f"This challenge takes ideas from {clock.aware(challenge.submission_at):%d %B %Y}."
    if challenge.phase != "submission":
        return f"This challenge no longer takes new ideas: it is in its {challenge.phase_label.lower()} phase."
    return None


# Norms


def has_accepted_norms(user, challenge):
    if not permissions._member(user):
        return False
    return db.session.get(NormsAcceptance, (user.id, challenge.id)) is not None


def accept_norms(user, challenge):
    _require(permissions.active_member(user), "Log in to take part.")
    insert_if_absent(NormsAcceptance, user_id=user.id, challenge_id=challenge.id)


def _check_norms(user, challenge, accept):
    if accept:
        accept_norms(user, challenge)
    elif not has_accepted_norms(user, challenge):
        raise NormsNotAccepted("Read and accept this challenge's norms before your first contribution.",
                               "accept_norms")


# Ideas


def _published_contributions(user):
    ideas = select(func.count()).select_from(Idea).where(Idea.author_id == user.id, Idea.is_public.is_(True))
    comments = select(func.count()).select_from(Comment).where(
        Comment.author_id == user.id, Comment.status == "published"
    )
    return db.session.scalar(ideas) + db.session.scalar(comments)


_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def screen_contribution(user, challenge, kind, text, edit=False):
    """Ask the screening receivers (moderation) about a contribution.

    Returns (hold, flags): hold is True when it must wait for a moderator;
    flags are reasons to publish it flagged. A receiver raising
    ChallengeError refuses the contribution outright.
    """
    hold, flags = (False if edit else needs_premoderation(user, challenge)), []
    answers = signals.contribution_screening.send(
        user, user=user, challenge_id=challenge.id, kind=kind, text=text, link_count=len(_LINK.findall(text)),
        edit=edit,
    )
    for _receiver, answer in answers:
        if answer == "pending":
            hold = True
        elif isinstance(answer, tuple) and answer[0] == "flag":
            flags.append(answer[1])
    return hold, flags


def needs_premoderation(user, challenge):
    if challenge.moderation_policy == "post" or permissions.is_site_moderator(user):
        return False
    if challenge.moderation_policy == "pre_all":
        return True
    return _published_contributions(user) < TRUSTED_AFTER


def _check_idea_text(title, description, tags):
    if not IDEA_TITLE[0] <= len(title) <= IDEA_TITLE[1]:
        raise ChallengeError(f"The title needs {IDEA_TITLE[0]} to {IDEA_TITLE[1]} characters "
                             f"(it has {len(title)}).", "title")
    if not IDEA_DESCRIPTION[0] <= len(description) <= IDEA_DESCRIPTION[1]:
        raise ChallengeError(f"The description needs {IDEA_DESCRIPTION[0]:,} to {IDEA_DESCRIPTION[1]:,} characters "
                             f"(it has {len(description):,}).", "description")
    if len(tags) > IDEA_TAG_LIMIT:
        raise ChallengeError(f"Use at most {IDEA_TAG_LIMIT} tags.", "tags")


def _check_builds_on(challenge, builds_on_id):
    if not builds_on_id:
        return None
    parent = db.session.get(Idea, builds_on_id)
    if parent is None or parent.challenge_id != challenge.id or not parent.is_public:
        raise ChallengeError("The idea this builds on does not exist in this challenge (any more).", "builds_on")
    return parent


def submit_idea(author, challenge, *, title, description, tags=(), builds_on_id=None, accept_norms=False):
    _require(permissions.active_member(author), "Log in with an active account to submit ideas.")
    _require(permissions.can_view_challenge(author, challenge))
    problem = submission_problem(challenge)
    if problem:
        raise PhaseError(problem)
    _check_idea_text(title, description, tags)
    parent = _check_builds_on(challenge, builds_on_id)
    _check_norms(author, challenge, accept_norms)
    hold, flags = screen_contribution(author, challenge, "idea", f"{title}\n{description}")
    now = clock.now()
    idea = Idea(
        challenge_id=challenge.id,
        author_id=author.id,
        title=title,
        description=description,
        description_html=render_markdown(description),
        builds_on_id=parent.id if parent else None,
        status="pending",
        random_key=random.randrange(RANDOM_KEY_SPACE),
        created_at=now,
        last_activity_at=now,
        status_changed_at=now,
    )
    idea.tags = tags_named(list(tags))
    db.session.add(idea)
    db.session.flush()
    follow_idea(author, idea)
    if not hold:
        set_idea_status(idea, "published", actor=None)
    signals.idea_submitted.send(idea, idea_id=idea.id, status=idea.status, flags=flags)
    return idea


def edit_idea(editor, idea, *, title, description, tags=()):
    if not permissions.can_edit_idea(editor, idea):
        if idea.supporter_count >= permissions.IDEA_EDIT_SUPPORTER_LIMIT:
            raise PermissionError("Ideas with 100 supporters or more can no longer be edited.")
        raise PermissionError("Only the author may edit an idea, while it is gathering support.")
    _check_idea_text(title, description, tags)
    held, flags = screen_contribution(editor, db.session.get(Challenge, idea.challenge_id), "idea",
                                      f"{title}\n{description}", edit=True)
    if "tags" not in inspect(idea).dict:
        db.session.refresh(idea, ["tags"])  # the revision keeps the old tags
    db.session.add(IdeaRevision(
        idea_id=idea.id,
        editor_id=editor.id,
        title=idea.title,
        description=idea.description,
        tags=", ".join(t.name for t in idea.tags),
    ))
    idea.title = title
    idea.description = description
    idea.description_html = render_markdown(description)
    idea.tags = tags_named(list(tags))
    idea.edited_at = clock.now()
    db.session.flush()
    signals.idea_edited.send(idea, idea_id=idea.id, held=held, flags=flags)
    return idea


def withdraw_idea(author, idea):
    _require(permissions.can_withdraw_idea(author, idea), "Only the author may withdraw an idea still in play.")
    return set_idea_status(idea, "withdrawn", actor=author)


def set_idea_status(idea, status, actor=None):
    """The one way an idea changes status: checks the move, keeps counters right."""
    before = idea.status
    if status not in IDEA_TRANSITIONS.get(before, ()):
        raise StatusError(f"An idea that is {before.replace('_', ' ')} cannot become {status.replace('_', ' ')}.")
    was_public, now_public = before in IDEA_PUBLIC, status in IDEA_PUBLIC
    now = clock.now()
    idea.previous_status = before
    idea.status = status
    idea.status_changed_at = now
    if status == "published" and idea.published_at is None:
        idea.published_at = now
        refresh_hot_score(idea, now)
    if was_public != now_public:
        sign = 1 if now_public else -1
        db.session.execute(
            update(Challenge)
            .where(Challenge.id == idea.challenge_id)
            .values(
                idea_count=Challenge.idea_count + sign,
                comment_count=Challenge.comment_count + sign * idea.comment_count,
            )
        )
    db.session.flush()
    signals.idea_status_changed.send(
        idea, idea_id=idea.id, before=before, after=status, actor_id=actor.id if actor else None
    )
    return idea


def review_idea(actor, idea, challenge, decision, feedback):
    """The owner shortlists, selects or turns down an idea, with feedback its author sees."""
    _require(permissions.can_manage_challenge(actor, challenge))
    if challenge.phase not in ("review", "results"):
        raise PhaseError("Ideas are reviewed during the review phase.")
    if decision not in REVIEW_DECISIONS:
        raise ChallengeError("Choose shortlisted, selected or not selected.", "decision")
    if idea.status not in _REVIEWABLE:
        raise StatusError("Only public ideas can be reviewed.")
    if len(feedback) > 5_000:
        raise ChallengeError("Keep the feedback under 5,000 characters.", "feedback")
    if idea.status != decision:
        set_idea_status(idea, decision, actor=actor)
    idea.feedback = feedback
    idea.feedback_html = render_markdown(feedback)
    db.session.flush()
    signals.idea_reviewed.send(idea, idea_id=idea.id, decision=decision, actor_id=actor.id)
    return idea


def refresh_hot_score(idea, now=None, weight=0.0, at=None):
    """Hot = recent supports and comments, each weighing half as much every three days.

    The stored number is log2 of that decayed activity expressed at a fixed
    epoch: one support at time t adds 2**(half-lives from the epoch to t).
    Decay therefore never rewrites rows: every score shrinks at the same
    rate, so ordering by the stored number is ordering by today's decayed
    activity. Publishing counts as one unit of activity, so new ideas show
    up; the voting feature passes `weight` (+1 a support, -1 a withdrawal,
    +-0.5 a comment) at the moment `at`, and its periodic job recomputes
    scores from rows.
    """
    epoch, half_life = datetime(2024, 1, 1, tzinfo=UTC), 3 * 86_400

    def units(moment):
        return (clock.aware(moment) - epoch).total_seconds() / half_life

    floor = units(idea.published_at or idea.created_at or now or clock.now())
    score = max(idea.hot_score or 0.0, floor)
    if weight:
        event = math.log2(abs(weight)) + units(at or now or clock.now())
        if weight > 0:
            high, low = max(score, event), min(score, event)
            score = high + math.log2(1 + 2 ** (low - high))
        elif event < score - 1e-9:
            score = max(score + math.log2(1 - 2 ** (event - score)), floor)
        else:
            score = floor
    idea.hot_score = score


# Comments


def _check_comment_body(body):
    if not body.strip():
        raise ChallengeError("Write something first.", "body")
    if len(body) > COMMENT_MAX:
        raise ChallengeError(f"Keep comments under {COMMENT_MAX:,} characters (this one has {len(body):,}).", "body")


def post_comment(author, idea, challenge, body, parent_id=None, accept_norms=False):
    if not permissions.can_comment(author, idea, challenge):
        if permissions.active_member(author) and challenge.phase not in permissions.COMMENT_PHASES:
            raise PhaseError(f"Comments are closed: this challenge is {challenge.phase_label.lower()}.")
        if idea.comments_locked:
            raise PhaseError("Comments on this idea are locked by a moderator.")
        raise PermissionError("You cannot comment here.")
    _check_comment_body(body)
    depth = 0
    if parent_id:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.idea_id != idea.id:
            raise ChallengeError("The comment you reply to is gone.", "body")
        if parent.depth >= COMMENT_MAX_DEPTH:
            parent_id = parent.parent_id  # threads stop at three levels: reply beside it
            depth = parent.depth
        else:
            depth = parent.depth + 1
    _check_norms(author, challenge, accept_norms)
    hold, flags = screen_contribution(author, challenge, "comment", body)
    now = clock.now()
    comment = Comment(
        idea_id=idea.id,
        author_id=author.id,
        parent_id=parent_id,
        depth=depth,
        body=body,
        body_html=render_markdown_lite(body),
        status="pending" if hold else "published",
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    if comment.status == "published":
        _count_comment(idea, +1)
    signals.comment_posted.send(comment, comment_id=comment.id, idea_id=idea.id, status=comment.status, flags=flags)
    return comment


def _count_comment(idea, sign):
    # An SQL expression, not Python arithmetic: two comments at once both count.
    idea.comment_count = Idea.comment_count + sign
    db.session.flush()
    if sign > 0:
        idea.last_activity_at = clock.now()
    refresh_hot_score(idea)
    if idea.is_public:
        db.session.execute(
            update(Challenge).where(Challenge.id == idea.challenge_id)
            .values(comment_count=Challenge.comment_count + sign)
        )


def edit_comment(editor, comment, body):
    if not permissions.can_edit_comment(editor, comment):
        raise PermissionError("Comments can be edited by their author for 10 minutes.")
    _check_comment_body(body)
    idea = db.session.get(Idea, comment.idea_id)
    held, flags = screen_contribution(editor, db.session.get(Challenge, idea.challenge_id), "comment", body,
                                      edit=True)
    comment.body = body
    comment.body_html = render_markdown_lite(body)
    comment.edited_at = clock.now()
    db.session.flush()
    signals.comment_edited.send(comment, comment_id=comment.id, idea_id=comment.idea_id, held=held, flags=flags)
    return comment


def delete_comment(actor, comment, idea):
    """The author deletes: a tombstone keeps the replies in their thread."""
    _require(permissions.can_delete_comment(actor, comment), "Only the author may delete a comment.")
    set_comment_status(comment, idea, "deleted")
    comment.body = ""
    comment.body_html = ""
    comment.deleted_at = clock.now()
    db.session.flush()
    return comment


def set_comment_status(comment, idea, status):
    before = comment.status
    if before == status:
        return comment
    if before == "deleted":
        raise StatusError("This comment was deleted by its author.")
    comment.status = status
    if (before == "published") != (status == "published"):
        _count_comment(idea, +1 if status == "published" else -1)
    db.session.flush()
    signals.comment_status_changed.send(
        comment, comment_id=comment.id, idea_id=idea.id, before=before, after=status
    )
    return comment


# Follows


_FOLLOW_MODELS = {Challenge: (ChallengeFollow, "challenge_id"), Idea: (IdeaFollow, "idea_id")}


def set_following(user, target, following=True):
    """Follow or unfollow a challenge or an idea; the follower count follows suit."""
    _require(permissions._member(user), "Log in to follow.")
    model, key = _FOLLOW_MODELS[type(target)]
    counter = type(target).follower_count
    if following:
        # A double click inserts once and counts once.
        if insert_if_absent(model, user_id=user.id, **{key: target.id}):
            target.follower_count = counter + 1
    else:
        removed = db.session.execute(
            delete(model).where(model.user_id == user.id, getattr(model, key) == target.id)).rowcount
        if removed:
            target.follower_count = counter - removed
    db.session.flush()


def follow_challenge(user, challenge):
    set_following(user, challenge)


def follow_idea(user, idea):
    set_following(user, idea)


def follows_challenge(user, challenge):
    return permissions._member(user) and db.session.get(ChallengeFollow, (user.id, challenge.id)) is not None


def follows_idea(user, idea):
    return permissions._member(user) and db.session.get(IdeaFollow, (user.id, idea.id)) is not None


# Reading: lists and pages, a fixed number of queries each

IDEA_SORTS = {"hot": "Hot", "top": "Most supported", "newest": "Newest", "random": "Random"}
IDEAS_PER_PAGE = 20
MAX_PAGE = 5_000
CHALLENGES_PER_PAGE = 12
CHALLENGE_SORTS = {"newest": "Newest", "active": "Most ideas", "closing": "Closing soon"}


@dataclass
class IdeaPage:
    ideas: list
    sort: str
    page: int = 1
    has_next: bool = False
    has_prev: bool = False
    total: int | None = None
    next_cursor: dict = field(default_factory=dict)

    @property
    def pages(self):
        return max(1, math.ceil((self.total or 0) / IDEAS_PER_PAGE))


def default_sort(challenge):
    # Fair exposure while ideas come in; the crowd's choice afterwards.
    return "random" if challenge.phase == "submission" else "hot"


def _idea_conditions(challenge_id, status, tag):
    from app.tags import Tag
    from challenges.models import idea_tags

    conditions = [Idea.challenge_id == challenge_id,
                  Idea.status == status if status else Idea.is_public.is_(True)]
    if tag:
        conditions.append(Idea.id.in_(
            select(idea_tags.c.idea_id).join(Tag, Tag.id == idea_tags.c.tag_id).where(Tag.name == tag)
        ))
    return conditions


_LIST_DEFERRED = (Idea.description, Idea.description_html, Idea.feedback, Idea.feedback_html)
_card_options = {}


def _load_ideas_by_id(ids, with_feedback=False):
    """Cards for these ideas, in this order: one query, plus one for their tags.

    The tags come from a plain join set on each idea, and the loader options
    are built once: selectinload's machinery and fresh options cost a third
    of the list page's time (issue 13)."""
    from app.tags import Tag
    from challenges.models import idea_tags

    if not ids:
        return []
    options = _card_options.get(with_feedback)
    if options is None:
        deferred = _LIST_DEFERRED[:2] if with_feedback else _LIST_DEFERRED
        options = _card_options[with_feedback] = (*(defer(column) for column in deferred), joinedload(Idea.author))
    by_id = {idea.id: idea for idea in db.session.scalars(select(Idea).options(*options).where(Idea.id.in_(ids)))}
    tags = {idea_id: [] for idea_id in by_id}
    for idea_id, tag in db.session.execute(
            select(idea_tags.c.idea_id, Tag).join(Tag, Tag.id == idea_tags.c.tag_id)
            .where(idea_tags.c.idea_id.in_(ids)).order_by(Tag.name)):
        tags[idea_id].append(tag)
    for idea_id, idea in by_id.items():
        if "tags" not in idea.__dict__:  # never over tags this session already holds
            set_committed_value(idea, "tags", tags[idea_id])
    return [by_id[i] for i in ids if i in by_id]


def list_ideas(viewer, challenge, *, sort, page=1, tag=None, status=None, seed=0, after=None, lap=0,
               with_feedback=False):
    """One page of a challenge's ideas, in a fixed number of queries.

    Random order walks the stored random keys from the visitor's seed to the
    end, then from the start up to the seed (cursor paging)."""
    if status and not (status in IDEA_PUBLIC or permissions.can_moderate(viewer, challenge.id)):
        status = None
    conditions = _idea_conditions(challenge.id, status, tag)
    size = IDEAS_PER_PAGE
    if sort == "random":
        return _random_page(conditions, seed, after, lap, size)
    order = {
        "hot": (Idea.hot_score.desc(), Idea.id.desc()),
        "top": (Idea.supporter_count.desc(), Idea.id.desc()),
        "newest": (Idea.published_at.desc(), Idea.id.desc()),
    }[sort]
    page = min(max(1, page), MAX_PAGE)
    ids = list(db.session.scalars(
        select(Idea.id).where(*conditions).order_by(*order).limit(size + 1).offset((page - 1) * size)))
    rows = _load_ideas_by_id(ids[:size], with_feedback)
    total = challenge.idea_count if not status and not tag else None
    return IdeaPage(rows, sort, page, has_next=len(ids) > size, has_prev=page > 1, total=total)


def _random_page(conditions, seed, after, lap, size):
    # Both segments of the walk in one query: keys from the cursor (or seed)
    # up, then keys from the bottom up to the seed.
    seed = min(max(0, seed), RANDOM_KEY_SPACE)
    after = None if after is None else min(max(-1, after), RANDOM_KEY_SPACE)
    first_from = seed if after is None else after + 1
    second_after = after if lap == 1 and after is not None else -1
    segments = []
    if lap == 0:
        segments.append(select(Idea.id, Idea.random_key, literal(0).label("lap")).where(
            *conditions, Idea.random_key >= first_from).order_by(Idea.random_key).limit(size + 1).subquery())
    segments.append(select(Idea.id, Idea.random_key, literal(1).label("lap")).where(
        *conditions, Idea.random_key > second_after, Idea.random_key < seed
    ).order_by(Idea.random_key).limit(size + 1).subquery())
    keys = sorted(db.session.execute(union_all(*(select(s) for s in segments))).all(),
                  key=lambda row: (row.lap, row.random_key))[:size + 1]
    has_next = len(keys) > size
    keys = keys[:size]
    rows = _load_ideas_by_id([k.id for k in keys])
    cursor = {"after": keys[-1].random_key, "lap": keys[-1].lap} if has_next else {}
    return IdeaPage(rows, "random", has_next=has_next, has_prev=after is not None, next_cursor=cursor)


def list_challenges(viewer, *, phase=None, tag=None, format=None, sort="newest", page=1):
    from app.tags import Tag
    from challenges.models import challenge_tags

    query = (
        select(Challenge)
        .options(selectinload(Challenge.tags))
        .where(permissions.visible_challenges_clause(viewer))
    )
    if phase in PHASES:
        query = query.where(Challenge.phase == phase)
    if format in FORMATS:
        query = query.where(Challenge.format == format)
    if tag:
        query = query.where(Challenge.id.in_(
            select(challenge_tags.c.challenge_id).join(Tag, Tag.id == challenge_tags.c.tag_id).where(Tag.name == tag)
        ))
    order = {
        "newest": (Challenge.published_at.desc().nulls_first(), Challenge.id.desc()),
        "active": (Challenge.idea_count.desc(), Challenge.id.desc()),
        "closing": (Challenge.review_at.asc(), Challenge.id.asc()),
    }.get(sort, (Challenge.published_at.desc(), Challenge.id.desc()))
    return db.paginate(query.order_by(*order), page=page, per_page=CHALLENGES_PER_PAGE, error_out=False)


def get_challenge(slug):
    return db.session.scalar(select(Challenge).where(Challenge.slug == slug))


def get_idea(idea_id):
    """The idea with its author, challenge, tags and builds-on parent, in one query."""
    return db.session.scalar(
        select(Idea)
        .options(
            joinedload(Idea.author),
            joinedload(Idea.challenge),
            joinedload(Idea.builds_on).joinedload(Idea.author),
            selectinload(Idea.tags),
        )
        .where(Idea.id == idea_id)
    )


def ideas_building_on(idea):
    return list(db.session.scalars(
        select(Idea).options(joinedload(Idea.author))
        .where(Idea.builds_on_id == idea.id, Idea.is_public.is_(True))
        .order_by(Idea.published_at)
    ))


def idea_history(idea):
    return list(db.session.scalars(
        select(IdeaRevision).options(joinedload(IdeaRevision.editor))
        .where(IdeaRevision.idea_id == idea.id).order_by(IdeaRevision.created_at.desc(), IdeaRevision.id.desc())
    ))


@dataclass
class Thread:
    comment: Comment
    replies: list


def comment_threads(viewer, idea, challenge):
    """All comments of an idea as nested threads, in one query.

    Pending and hidden comments show only to their author and moderators;
    a deleted comment stays as a tombstone while it has replies.
    """
    comments = list(db.session.scalars(
        select(Comment).options(joinedload(Comment.author))
        .where(Comment.idea_id == idea.id).order_by(Comment.created_at, Comment.id)
    ))
    moderator = permissions.can_moderate(viewer, challenge.id) if any(
        c.status not in ("published", "deleted") for c in comments) else False
    viewer_id = viewer.id if permissions._member(viewer) else None
    nodes = {}
    roots = []
    for comment in comments:
        if comment.status not in ("published", "deleted") and not (moderator or comment.author_id == viewer_id):
            continue
        node = Thread(comment, [])
        nodes[comment.id] = node
        parent = nodes.get(comment.parent_id)
        (parent.replies if parent else roots).append(node)

    def prune(threads):
        kept = []
        for thread in threads:
            thread.replies = prune(thread.replies)
            if not (thread.comment.is_deleted and not thread.replies):
                kept.append(thread)
        return kept

    return prune(roots)


def ideas_by_author(viewer, author, limit=20):
    """The author's ideas the viewer may see: public ones, plus all their own."""
    from challenges.models import Challenge as C

    query = select(Idea).options(joinedload(Idea.challenge)).join(C, C.id == Idea.challenge_id).where(
        Idea.author_id == author.id
    )
    if not (permissions._member(viewer) and viewer.id == author.id):
        query = query.where(permissions.public_ideas_clause())
    return list(db.session.scalars(query.order_by(Idea.created_at.desc()).limit(limit)))


def momentum_ideas(limit=6):
    """Public ideas with the most recent activity, for the home page."""
    from challenges.models import Challenge as C

    return list(db.session.scalars(
        select(Idea).options(joinedload(Idea.author), joinedload(Idea.challenge))
        .join(C, C.id == Idea.challenge_id)
        .where(permissions.public_ideas_clause(), Idea.status == "published")
        .order_by(Idea.hot_score.desc()).limit(limit)
    ))


def open_challenges(limit=6):
    return list(db.session.scalars(
        select(Challenge).where(Challenge.phase.in_(("submission", "voting")))
        .order_by(Challenge.published_at.desc()).limit(limit)
    ))


def result_ideas(challenge):
    return list(db.session.scalars(
        select(Idea).options(joinedload(Idea.author))
        .where(Idea.challenge_id == challenge.id, Idea.status.in_(("selected", "shortlisted", "not_selected")))
        .order_by(Idea.status.desc(), Idea.supporter_count.desc(), Idea.id)
    ))


def builds_on_choices(challenge, exclude_id=None, limit=200):
    return list(db.session.execute(
        select(Idea.id, Idea.title)
        .where(Idea.challenge_id == challenge.id, Idea.is_public.is_(True), Idea.id != (exclude_id or 0))
        .order_by(Idea.supporter_count.desc(), Idea.id.desc()).limit(limit)
    ))
