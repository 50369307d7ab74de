"""During the session: the facilitator's console and the timer.

Moves are conditional UPDATEs on the step number (and status), so two
clicks on "next" at once move one step: the second finds the step already
moved and changes nothing.
"""
from datetime import timedelta

from sqlalchemy import select, update

from app import clock, permissions, signals
from app.extensions import db
from challenges.holdups.models import AgendaStep, Holdup
from challenges.holdups.services.common import HoldupError, bump, require
from challenges.holdups.services.setup import agenda
from voting.models import DotRound

MINUTES_STEP_RANGE = (-30, 30)


def current_step(holdup, steps):
    return steps[holdup.current_step - 1] if 1 <= holdup.current_step <= len(steps) else None


def step_ends_at(holdup, step):
    if step is None or holdup.step_started_at is None:
        return None
    return clock.aware(holdup.step_started_at) + timedelta(minutes=step.minutes, seconds=holdup.step_extra_seconds)


def seconds_left(holdup, step, now=None):
    """Computed from the server's step start: every screen shows the same countdown."""
    ends = step_ends_at(holdup, step)
    if ends is None:
        return None
    at = clock.aware(holdup.paused_at) if holdup.status == "paused" else (now or clock.now())
    return int((ends - at).total_seconds())


def _console(actor, challenge, holdup):
    require(permissions.can_facilitate(actor, challenge, holdup), "Only the facilitator moves the session along.")


def _moved(statement):
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount == 1


def _close_step(holdup, step, now):
    if step is None or holdup.step_started_at is None:
        return
    until = clock.aware(holdup.paused_at) if holdup.status == "paused" and holdup.paused_at else now
    step.seconds_spent += max(0, int((until - clock.aware(holdup.step_started_at)).total_seconds()))
    step.ended_at = now


def _open_step(actor, challenge, holdup, step, now):
    if step.started_at is None:
        step.started_at = now
    if step.kind == "dotvote":
        round_ = db.session.get(DotRound, holdup.dot_round_id) if holdup.dot_round_id else None
        if round_ is None:
            round_ = DotRound(challenge_id=challenge.id, budget=holdup.dot_budget, opened_by_id=actor.id,
                              opened_at=now, status="open")
            db.session.add(round_)
            db.session.flush()
            holdup.dot_round_id = round_.id
            signals.dot_round_changed.send(round_, round_id=round_.id, challenge_id=challenge.id, status="open")


def close_vote(actor, challenge, holdup, now=None):
    """Close the dot-vote: totals show from now on."""
    _console(actor, challenge, holdup)
    return _close_round(challenge, holdup, now)


def _close_round(challenge, holdup, now=None):
    round_ = db.session.get(DotRound, holdup.dot_round_id) if holdup.dot_round_id else None
    if round_ is None:
        raise HoldupError("The dot-vote has not started yet.")
    closed = _moved(update(DotRound).where(DotRound.id == round_.id, DotRound.status == "open")
                    .values(status="closed", closed_at=now or clock.now()))
    if closed:
        db.session.refresh(round_)
        bump(challenge.id)
        signals.dot_round_changed.send(round_, round_id=round_.id, challenge_id=challenge.id, status="closed")
    return closed


def _refresh(holdup):
    db.session.refresh(holdup)
    return holdup


def start_session(actor, challenge, holdup):
    _console(actor, challenge, holdup)
    steps = agenda(challenge.id)
    now = clock.now()
    if not _moved(update(Holdup).where(Holdup.challenge_id == challenge.id, Holdup.status == "scheduled")
                  .values(status="live", current_step=1, step_started_at=now, started_at=now,
                          step_extra_seconds=0, version=Holdup.version + 1)):
        _refresh(holdup)
        if holdup.status == "ended":
            raise HoldupError("The session has ended.")
        return False  # already started (a second click)
    _refresh(holdup)
    _open_step(actor, challenge, holdup, steps[0], now)
    db.session.flush()
    return True


def move(actor, challenge, holdup, from_step, direction):
    """Next (+1) or previous (-1) from `from_step`, the step the facilitator saw. False when already moved."""
    _console(actor, challenge, holdup)
    if not holdup.is_live:
        raise HoldupError("Start the session first." if holdup.status == "scheduled" else "The session has ended.")
    steps = agenda(challenge.id)
    target = from_step + direction
    if target < 1:
        raise HoldupError("This is the first step.")
    if target > len(steps):
        raise HoldupError("This is the last step: end the session when you are ready.")
    before = (holdup.status, holdup.step_started_at, holdup.paused_at)
    now = clock.now()
    if not _moved(update(Holdup).where(Holdup.challenge_id == challenge.id, Holdup.current_step == from_step,
                                       Holdup.status.in_(("live", "paused")))
                  .values(current_step=target, step_started_at=now, step_extra_seconds=0, paused_at=None,
                          status="live", version=Holdup.version + 1)):
        _refresh(holdup)
        return False
    leaving = steps[from_step - 1]
    holdup.status, holdup.step_started_at, holdup.paused_at = before
    _close_step(holdup, leaving, now)
    _refresh(holdup)
    if leaving.kind == "dotvote" and direction > 0 and holdup.dot_round_id:
        _close_round(challenge, holdup, now)
    _open_step(actor, challenge, holdup, steps[target - 1], now)
    db.session.flush()
    return True


def change_minutes(actor, challenge, holdup, from_step, minutes):
    _console(actor, challenge, holdup)
    if not holdup.is_live:
        raise HoldupError("The timer runs only during the session.")
    if not minutes or not MINUTES_STEP_RANGE[0] <= minutes <= MINUTES_STEP_RANGE[1]:
        raise HoldupError(f"Add or remove between 1 and {MINUTES_STEP_RANGE[1]} minutes.", "minutes")
    moved = _moved(update(Holdup).where(Holdup.challenge_id == challenge.id, Holdup.current_step == from_step,
                                        Holdup.status.in_(("live", "paused")))
                   .values(step_extra_seconds=Holdup.step_extra_seconds + minutes * 60,
                           version=Holdup.version + 1))
    _refresh(holdup)
    return moved


def pause(actor, challenge, holdup):
    _console(actor, challenge, holdup)
    moved = _moved(update(Holdup).where(Holdup.challenge_id == challenge.id, Holdup.status == "live")
                   .values(status="paused", paused_at=clock.now(), version=Holdup.version + 1))
    _refresh(holdup)
    return moved


def resume(actor, challenge, holdup):
    """The timer goes on where it stopped: the step start moves by the length of the pause."""
    _console(actor, challenge, holdup)
    if holdup.status != "paused":
        return False
    now = clock.now()
    paused_for = now - clock.aware(holdup.paused_at)
    moved = _moved(update(Holdup).where(Holdup.challenge_id == challenge.id, Holdup.status == "paused",
                                        Holdup.paused_at == holdup.paused_at)
                   .values(status="live", paused_at=None,
                           step_started_at=clock.aware(holdup.step_started_at) + paused_for,
                           version=Holdup.version + 1))
    _refresh(holdup)
    return moved


def end_session(actor, challenge, holdup):
    """The board becomes read-only and the report is ready."""
    _console(actor, challenge, holdup)
    if holdup.status == "scheduled":
        raise HoldupError("Start the session first.")
    return _finish(challenge, holdup)


def _finish(challenge, holdup):
    from challenges.holdups.services.registration import participant_ids

    steps = agenda(challenge.id)
    before = (holdup.status, holdup.step_started_at, holdup.paused_at, holdup.current_step)
    now = clock.now()
    if not _moved(update(Holdup).where(Holdup.challenge_id == challenge.id, Holdup.status.in_(("live", "paused")))
                  .values(status="ended", ended_at=now, paused_at=None, version=Holdup.version + 1)):
        _refresh(holdup)
        return False
    holdup.status, holdup.step_started_at, holdup.paused_at, position = before
    if 1 <= position <= len(steps):
        _close_step(holdup, steps[position - 1], now)
    _refresh(holdup)
    round_ = dot_round(holdup)
    if round_ is not None and round_.is_open:
        _close_round(challenge, holdup, now)
    db.session.flush()
    signals.holdup_report_ready.send(holdup, challenge_id=challenge.id, user_ids=participant_ids(challenge.id))
    return True


FORGOTTEN_AFTER = timedelta(hours=6)


def end_forgotten_sessions(now=None):
    """Sessions still running six hours after their planned end are ended, so their report is ready."""
    from challenges.models import Challenge

    now = now or clock.now()
    running = db.session.execute(select(Challenge, Holdup).join(Holdup, Holdup.challenge_id == Challenge.id)
                                 .where(Holdup.status.in_(("live", "paused")))).all()
    ended = []
    for challenge, holdup in running:
        planned_end = clock.aware(holdup.starts_at) + timedelta(minutes=holdup.duration_minutes)
        if now - max(planned_end, clock.aware(holdup.started_at) or planned_end) > FORGOTTEN_AFTER \
                and _finish(challenge, holdup):
            ended.append(challenge.id)
    return ended


def step_by_id(challenge_id, step_id):
    step = db.session.get(AgendaStep, step_id)
    return step if step is not None and step.challenge_id == challenge_id else None


def dot_round(holdup):
    return db.session.get(DotRound, holdup.dot_round_id) if holdup.dot_round_id else None

