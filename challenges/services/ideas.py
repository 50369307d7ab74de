"""Ideas: submitting, editing, withdrawing, status changes, review decisions and the stored hot score."""
import math
import random
from datetime import UTC, datetime

from sqlalchemy import inspect, update

from app import clock, permissions, signals
from app.extensions import db
from app.limits import IDEA_DESCRIPTION, IDEA_TAG_LIMIT, IDEA_TITLE
from app.markdown import render_markdown
from app.tags import tags_named
from challenges.models import IDEA_PUBLIC, Challenge, Idea, IdeaRevision
from challenges.services.edits import edit_is_held, hold_edit
from challenges.services.errors import ChallengeError, PhaseError, StatusError
from challenges.services.follows import follow_idea
from challenges.services.screening import check_norms, screen_contribution

RANDOM_KEY_SPACE = 2**31
REVIEW_DECISIONS = ("shortlisted", "selected", "not_selected")
FEEDBACK_REQUIRED = ("selected", "not_selected")
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


def submit_idea(author, challenge, *, title, description, tags=(), builds_on_id=None, accept_norms=False,
                paced=False):
    permissions.require(permissions.can_contribute(author))
    permissions.require(permissions.can_view_challenge(author, challenge))
    permissions.require(permissions.submission_verdict(challenge), error=PhaseError)
    _check_idea_text(title, description, tags)
    parent = _check_builds_on(challenge, builds_on_id)
    check_norms(author, challenge, accept_norms)
    hold, flags = screen_contribution(author, challenge, "idea", f"{title}\n{description}", paced=paced)
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
    """Edit an idea. Returns the PendingEdit when the edit waits for a moderator, else None (it is live)."""
    permissions.require(permissions.can_edit_idea(editor, idea))
    _check_idea_text(title, description, tags)
    challenge = db.session.get(Challenge, idea.challenge_id)
    held, flags = screen_contribution(editor, challenge, "idea", f"{title}\n{description}", edit=True)
    before = {"title": idea.title, "description": idea.description}
    after = {"title": title, "description": description}
    pending = None
    if edit_is_held(editor, challenge, idea.is_public, held, "idea", idea.id):
        pending = hold_edit(editor, "idea", idea.id, idea.challenge_id, title=title, description=description,
                            tags=",".join(tags))
    else:
        _replace_idea_text(idea, editor.id, title, description, tags)
    signals.idea_edited.send(idea, idea_id=idea.id, held=held or pending is not None, flags=flags,
                             editor_id=editor.id, before=before, after=after, pending_edit=pending is not None)
    return pending


def apply_idea_edit(idea, pending):
    """A moderator approved the waiting edit: its text replaces the approved one (the old one goes to history)."""
    _replace_idea_text(idea, pending.author_id, pending.title, pending.description, pending.tag_names)
    signals.idea_edited.send(idea, idea_id=idea.id)
    return idea


def _replace_idea_text(idea, editor_id, title, description, tags):
    if "tags" not in inspect(idea).dict:
        db.session.refresh(idea, ["tags"])  # the revision keeps the old tags
    db.session.add(IdeaRevision(
        idea_id=idea.id,
        editor_id=editor_id,
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


def withdraw_idea(author, idea):
    permissions.require(permissions.can_withdraw_idea(author, idea))
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
    permissions.require(permissions.can_manage_challenge(actor, challenge))
    if challenge.phase not in ("review", "results"):
        raise PhaseError("Ideas are reviewed during the review phase.")
    if decision not in REVIEW_DECISIONS:
        raise ChallengeError("Choose shortlisted, selected or not selected.", "decision")
    if idea.status not in _REVIEWABLE:
        raise StatusError("Only public ideas can be reviewed.")
    feedback = feedback or ""
    if len(feedback) > 5_000:
        raise ChallengeError("Keep the feedback under 5,000 characters.", "feedback")
    if decision in FEEDBACK_REQUIRED and not feedback.strip():
        # Authors are promised written feedback on a final decision.
        raise ChallengeError(f"Tell the author why their idea is {decision.replace('_', ' ')}: "
                             "written feedback is required for this decision.", "feedback")
    if idea.status != decision:
        set_idea_status(idea, decision, actor=actor)
    idea.feedback = feedback
    idea.feedback_html = render_markdown(feedback)
    db.session.flush()
    signals.idea_reviewed.send(idea, idea_id=idea.id, decision=decision, actor_id=actor.id)
    return idea


def hot_score_after(idea, now=None, weight=0.0, at=None):
    """Hot = recent supports and comments, each weighing half as much every three days.

    The stored number is log2 of that decayed activity expressed at a fixed
    epoch: one support at time t adds 2**(half-lives from the epoch to t).
    Decay therefore never rewrites rows: every score shrinks at the same
    rate, so ordering by the stored number is ordering by today's decayed
    activity. Publishing counts as one unit of activity, so new ideas show
    up; the voting feature passes `weight` (+1 a support, -1 a withdrawal,
    +-0.5 a comment) at the moment `at`, and its periodic job recomputes
    scores from rows.

    Returns the new score without setting it: a support writes it in the
    same UPDATE as its count (issue 13); refresh_hot_score() sets it.
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
    return score


def refresh_hot_score(idea, now=None, weight=0.0, at=None):
    """Set the idea's hot score after an event of `weight` at `at` (see hot_score_after)."""
    idea.hot_score = hot_score_after(idea, now, weight, at)
