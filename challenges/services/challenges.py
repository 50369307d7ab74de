"""Challenges and their phases: creating, editing, publishing, moving phases by hand or by schedule."""
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select

from app import clock, permissions, signals
from app.extensions import db
from app.markdown import render_markdown
from app.tags import tags_named
from challenges.models import FORMATS, MODERATION_POLICIES, PHASES, Challenge
from challenges.services.errors import ChallengeError, PhaseError
from challenges.services.follows import follow_challenge
from challenges.state import challenge_state


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
        # Each date is checked against every date before it, so three dates
        # out of order are three messages, each beside its own field.
        latest_name, latest = order[0]
        for name, moment in order[1:]:
            if moment <= latest:
                found.append((name, f"This date must come after “{SCHEDULE_LABELS[latest_name]}” "
                                    f"({latest:%d %b %Y})."))
            else:
                latest_name, latest = name, moment
        return found


SCHEDULE_LABELS = {"submission_at": "Ideas open", "voting_at": "Voting opens", "review_at": "Review starts",
                   "results_at": "Results announced", "closed_at": "Closes"}


class ScheduleError(ChallengeError):
    """Every date that goes backwards, each with its field."""

    def __init__(self, problems):
        super().__init__(problems[0][1], problems[0][0])
        self.problems = problems


def _apply_challenge_fields(challenge, *, title, summary, problem, norms, format, is_open, moderation_policy,
                            tags, schedule):
    if format not in FORMATS:
        raise ChallengeError("Choose a format.", "format")
    if moderation_policy not in MODERATION_POLICIES:
        raise ChallengeError("Choose a moderation policy.", "moderation_policy")
    problems = schedule.problems(is_open)
    if problems:
        raise ScheduleError(problems)
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
    permissions.require(permissions.can_contribute(owner))
    challenge = Challenge(owner_id=owner.id, phase="draft", slug=unique_slug(fields["title"]))
    _apply_challenge_fields(challenge, **fields)
    db.session.add(challenge)
    db.session.flush()
    follow_challenge(owner, challenge)
    return challenge


def update_challenge(actor, challenge, **fields):
    permissions.require(permissions.can_manage_challenge(actor, challenge))
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
    permissions.require(permissions.can_manage_challenge(actor, challenge))
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
    permissions.require(permissions.can_manage_challenge(actor, challenge))
    if challenge.is_draft:
        raise PhaseError("Publish the challenge before moving its phases.")
    if phase not in PHASES or phase == "draft":
        raise PhaseError("Choose a phase to move to.", "phase")
    if phase == "voting" and challenge.is_open:
        raise PhaseError("An open challenge takes votes during submission; it has no separate voting phase.", "phase")
    now = clock.now()
    state = challenge_state(challenge, now)
    if phase == state.key:
        raise PhaseError(f"The challenge is already in {state.label.lower()}.", "phase")
    if phase == "submission" and state.is_upcoming:
        challenge.submission_at = now  # opened early, by hand
    _set_phase(challenge, phase, now)
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
