"""Before the session: the hold-up's details and its agenda."""
import re
from functools import cache

from sqlalchemy import bindparam, func, select, update

from app import clock, permissions
from app.auth.models import User
from app.extensions import db
from challenges.holdups.models import DEFAULT_AGENDA, STEP_KINDS, AgendaStep, Holdup
from challenges.holdups.services.common import HoldupError, bump, require
from challenges.holdups.services.zones import to_utc

DURATION_RANGE = (15, 600)
CAPACITY_RANGE = (1, 500)
DOT_BUDGET_RANGE = (1, 20)
STEP_MINUTES_RANGE = (1, 240)
STEP_TITLE_MAX = 80
AGENDA_MAX_STEPS = 20
_DETAIL_RANGES = {
    "duration_minutes": (DURATION_RANGE, "The session lasts {} to {} minutes."),
    "capacity": (CAPACITY_RANGE, "Capacity is {} to {} participants."),
    "dot_budget": (DOT_BUDGET_RANGE, "Give each participant {} to {} dots."),
}
_LINK = re.compile(r"^https?://[^\s<>\"']+$", re.IGNORECASE)


def _check_range(value, bounds, message, field):
    if value is None or not bounds[0] <= value <= bounds[1]:
        raise HoldupError(message.format(*bounds), field)


def _find_by_username(username):
    from app.auth.services import username_key

    return db.session.scalar(select(User).where(User.username_key == username_key(username or "")))


def ensure_editable(holdup):
    """A hold-up's details change only before its session starts (None: not set up yet)."""
    if holdup is not None and holdup.status != "scheduled":
        raise HoldupError("The session has started: its details can no longer change.")


def details_problems(actor, holdup, *, day, at, time_zone, duration_minutes, capacity, dot_budget, place,
                     online_link, facilitator_username):
    """Every rule the details break, as (field, message) pairs, and the facilitator they name.

    A value given as None was refused by the form already and is not checked
    again, so the person sees every problem of one submission at once."""
    problems, facilitator = [], None
    if day is not None and at is not None and time_zone:
        try:
            starts_at = to_utc(day, at, time_zone)
        except HoldupError as error:
            problems.append((error.field, error.message))
        else:
            if (holdup is None or clock.aware(holdup.starts_at) != starts_at) and starts_at <= clock.now():
                problems.append(("day", "Choose a start in the future."))
    numbers = dict(duration_minutes=duration_minutes, capacity=capacity, dot_budget=dot_budget)
    for field, (bounds, message) in _DETAIL_RANGES.items():
        if numbers[field] is not None and not bounds[0] <= numbers[field] <= bounds[1]:
            problems.append((field, message.format(*bounds)))
    if place is not None and online_link is not None:
        place, online_link = place.strip(), online_link.strip()
        if not place and not online_link:
            problems.append(("place", "Give a place or an online link (or both)."))
        if online_link and not _LINK.match(online_link):
            problems.append(("online_link", "The online link starts with https:// (or http://)."))
    if facilitator_username is not None:
        name = facilitator_username.strip()
        facilitator = actor if not name else _find_by_username(name)
        if facilitator is None:
            problems.append(("facilitator", f"No member is called “{name}”."))
        elif not permissions.can_contribute(facilitator) and facilitator.id != actor.id:
            problems.append(("facilitator", "This member cannot facilitate at the moment (their account is suspended)."))
    return problems, facilitator


def save_holdup(actor, challenge, *, day, at, time_zone, duration_minutes=120, capacity=15, place="",
                online_link="", facilitator_username="", public_can_watch=True, participants_cluster=False,
                dot_budget=3):
    """Create or update the details; a new hold-up gets the default agenda."""
    require(permissions.can_manage_holdup(actor, challenge), "Only the owner sets up this hold-up.")
    holdup = db.session.get(Holdup, challenge.id)
    ensure_editable(holdup)
    place, online_link = (place or "").strip(), (online_link or "").strip()
    problems, facilitator = details_problems(
        actor, holdup, day=day, at=at, time_zone=time_zone, duration_minutes=duration_minutes, capacity=capacity,
        dot_budget=dot_budget, place=place, online_link=online_link, facilitator_username=facilitator_username or "")
    if day is None or at is None or not time_zone:
        problems.insert(0, ("day", "Give the day and time of the session."))
    numbers = dict(duration_minutes=duration_minutes, capacity=capacity, dot_budget=dot_budget)
    problems += [(field, message.format(*bounds)) for field, (bounds, message) in _DETAIL_RANGES.items()
                 if numbers[field] is None]
    if problems:
        error = HoldupError(problems[0][1], problems[0][0])
        error.problems = problems
        raise error
    starts_at = to_utc(day, at, time_zone)
    fields = dict(starts_at=starts_at, time_zone=time_zone, duration_minutes=duration_minutes, capacity=capacity,
                  place=place, online_link=online_link, facilitator_id=facilitator.id,
                  public_can_watch=bool(public_can_watch), participants_cluster=bool(participants_cluster),
                  dot_budget=dot_budget)
    if holdup is None:
        holdup = Holdup(challenge_id=challenge.id, version=1, registered_count=0, waiting_count=0, **fields)
        db.session.add(holdup)
        db.session.flush()
        for position, (kind, title, minutes, instructions) in enumerate(DEFAULT_AGENDA, start=1):
            db.session.add(AgendaStep(challenge_id=challenge.id, position=position, kind=kind, title=title,
                                      minutes=minutes, instructions=instructions))
        db.session.flush()
        db.session.refresh(holdup)
        return holdup
    for name, value in fields.items():
        setattr(holdup, name, value)
    db.session.flush()
    bump(challenge.id)
    from challenges.holdups.services.registration import fill_free_seats

    fill_free_seats(challenge.id)
    db.session.refresh(holdup)
    return holdup


# The agenda


@cache
def _agenda_statement():
    return select(AgendaStep).where(AgendaStep.challenge_id == bindparam("challenge_id")).order_by(AgendaStep.position)


def agenda(challenge_id):
    return list(db.session.scalars(_agenda_statement(), {"challenge_id": challenge_id}))


def agenda_minutes(steps):
    return sum(step.minutes for step in steps)


def _editable(actor, challenge, holdup):
    require(permissions.can_manage_holdup(actor, challenge) or permissions.can_facilitate(actor, challenge, holdup),
            "Only the owner and the facilitator edit the agenda.")
    if holdup.status != "scheduled":
        raise HoldupError("The session has started: the agenda can no longer change.")


def _check_step(title, minutes, kind):
    title = (title or "").strip()
    if not title:
        raise HoldupError("Give the step a name.", "title")
    if len(title) > STEP_TITLE_MAX:
        raise HoldupError(f"Keep the name under {STEP_TITLE_MAX} characters.", "title")
    _check_range(minutes, STEP_MINUTES_RANGE, "A step lasts {} to {} minutes.", "minutes")
    if kind not in STEP_KINDS:
        raise HoldupError("Choose what happens during the step.", "kind")
    return title


def add_step(actor, challenge, holdup, *, title, minutes, kind="other", instructions=""):
    _editable(actor, challenge, holdup)
    title = _check_step(title, minutes, kind)
    count = db.session.scalar(select(func.count()).select_from(AgendaStep)
                              .where(AgendaStep.challenge_id == challenge.id))
    if count >= AGENDA_MAX_STEPS:
        raise HoldupError(f"An agenda has at most {AGENDA_MAX_STEPS} steps.", "title")
    step = AgendaStep(challenge_id=challenge.id, position=count + 1, kind=kind, title=title, minutes=minutes,
                      instructions=(instructions or "").strip()[:500])
    db.session.add(step)
    db.session.flush()
    bump(challenge.id)
    return step


def update_step(actor, challenge, holdup, step, *, title, minutes, kind):
    _editable(actor, challenge, holdup)
    step.title = _check_step(title, minutes, kind)
    step.minutes, step.kind = minutes, kind
    db.session.flush()
    bump(challenge.id)
    return step


def remove_step(actor, challenge, holdup, step):
    _editable(actor, challenge, holdup)
    steps = agenda(challenge.id)
    if len(steps) <= 1:
        raise HoldupError("Keep at least one step.")
    db.session.delete(step)
    db.session.flush()
    db.session.execute(update(AgendaStep).where(AgendaStep.challenge_id == challenge.id,
                                                AgendaStep.position > step.position)
                       .values(position=AgendaStep.position - 1).execution_options(synchronize_session=False))
    bump(challenge.id)


def move_step(actor, challenge, holdup, step, direction):
    """Swap the step with its neighbour above (-1) or below (+1)."""
    _editable(actor, challenge, holdup)
    neighbour = db.session.scalar(select(AgendaStep).where(AgendaStep.challenge_id == challenge.id,
                                                           AgendaStep.position == step.position + direction))
    if neighbour is None:
        raise HoldupError("This step is already at that end of the agenda.")
    step.position, neighbour.position = neighbour.position, step.position
    db.session.flush()
    bump(challenge.id)
