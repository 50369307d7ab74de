"""Registrations and the waitlist, the calendar file, messages to participants.

Every change locks the hold-up row first (SELECT … FOR UPDATE; on SQLite
the kernel's BEGIN IMMEDIATE serializes writers), so seats are counted
once and the first waiting member is promoted exactly once, even when two
members cancel at the same moment.
"""
from datetime import timedelta

from icalendar import Calendar, Event
from sqlalchemy import func, select, tuple_

from app import clock, permissions, signals
from app.auth.models import User
from app.extensions import db
from challenges.holdups.models import Message, Registration
from challenges.holdups.services.common import HoldupError, bump, check_text, lock_holdup, registration_of, require
from challenges.holdups.services.zones import zone

MESSAGE_MAX = 2_000
AUDIENCES = {"registered": "Registered members", "waiting": "The waitlist", "all": "Registered and waiting"}


def registration_closed(holdup, now=None):
    return holdup.status != "scheduled" or clock.aware(holdup.starts_at) <= (now or clock.now())


def waitlist_position(registration):
    """1 for the first waiting member."""
    if registration is None or registration.status != "waiting":
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.challenge_id == registration.challenge_id, Registration.status == "waiting",
        tuple_(Registration.queued_at, Registration.id) < tuple_(registration.queued_at, registration.id)))
    return ahead + 1


def register(user, challenge, holdup, *, credited=True, accept_norms=False):
    """Take a seat, or a place on the waitlist past capacity. Returns the registration."""
    from challenges.services import screening

    require(permissions.can_register(user, challenge), "Log in with an active account to register.")
    if user.id == holdup.facilitator_id:
        raise HoldupError("You facilitate this hold-up: your place is already kept.")
    if registration_closed(holdup):
        raise HoldupError("Registration closed when the session started.")
    if accept_norms:
        screening.accept_norms(user, challenge)
    elif not screening.has_accepted_norms(user, challenge):
        raise HoldupError("Read and accept the norms to register.", "accept_norms")
    holdup = lock_holdup(challenge.id)
    registration = registration_of(user, challenge.id)
    if registration is not None and registration.status == "registered":
        raise HoldupError("You are already registered.")
    if registration is not None and registration.status == "waiting":
        raise HoldupError(f"You are already on the waitlist, in position {waitlist_position(registration)}.")
    seat = holdup.registered_count < holdup.capacity
    status = "registered" if seat else "waiting"
    now = clock.now()
    if registration is None:
        registration = Registration(challenge_id=challenge.id, user_id=user.id)
        db.session.add(registration)
    registration.status, registration.queued_at, registration.credited = status, now, bool(credited)
    registration.cancelled_at = registration.promoted_at = None
    if seat:
        holdup.registered_count += 1
    else:
        holdup.waiting_count += 1
    db.session.flush()
    bump(challenge.id)
    signals.holdup_registered.send(holdup, challenge_id=challenge.id, user_id=user.id, status=status)
    return registration


def cancel(user, challenge, holdup):
    """Give the seat (or the waitlist place) back; a freed seat goes to the first waiting member at once."""
    require(permissions.can_contribute(user) or getattr(user, "is_authenticated", False), "Log in first.")
    holdup = lock_holdup(challenge.id)
    if holdup.status != "scheduled":
        raise HoldupError("The session has started: registrations can no longer change.")
    registration = registration_of(user, challenge.id)
    if registration is None or registration.status == "cancelled":
        raise HoldupError("You are not registered for this hold-up.")
    was = registration.status
    registration.status, registration.cancelled_at = "cancelled", clock.now()
    if was == "registered":
        holdup.registered_count -= 1
    else:
        holdup.waiting_count -= 1
    db.session.flush()
    promoted = fill_free_seats(challenge.id, holdup)
    bump(challenge.id)
    return was, promoted


def fill_free_seats(challenge_id, holdup=None):
    """Promote waiting members, first come first served, while seats are free. Returns their ids."""
    holdup = holdup or lock_holdup(challenge_id)
    promoted = []
    while holdup.registered_count < holdup.capacity and holdup.waiting_count > 0:
        first = db.session.scalar(
            select(Registration).where(Registration.challenge_id == challenge_id, Registration.status == "waiting")
            .order_by(Registration.queued_at, Registration.id).limit(1))
        if first is None:
            break
        first.status, first.promoted_at = "registered", clock.now()
        holdup.registered_count += 1
        holdup.waiting_count -= 1
        db.session.flush()
        promoted.append(first.user_id)
        signals.holdup_promoted.send(holdup, challenge_id=challenge_id, user_id=first.user_id)
    return promoted


def set_credited(user, challenge, credited):
    registration = registration_of(user, challenge.id)
    if registration is None or registration.status == "cancelled":
        raise HoldupError("You are not registered for this hold-up.")
    registration.credited = bool(credited)
    db.session.flush()
    bump(challenge.id)
    return registration


def registrations(challenge_id, status):
    """(registration, user) in order: seats by registration time, the waitlist by position."""
    return db.session.execute(
        select(Registration, User).join(User, User.id == Registration.user_id)
        .where(Registration.challenge_id == challenge_id, Registration.status == status)
        .order_by(Registration.queued_at, Registration.id)).all()


def participant_ids(challenge_id):
    return list(db.session.scalars(select(Registration.user_id).where(
        Registration.challenge_id == challenge_id, Registration.status == "registered")))


# Messages


def message_people(actor, challenge, holdup, body, audience):
    """Record the owner's message and send it as holdup_message for the notification system."""
    require(permissions.can_manage_holdup(actor, challenge), "Only the owner messages the participants.")
    if audience not in AUDIENCES:
        raise HoldupError("Choose who receives the message.", "audience")
    body = check_text(body, "body", MESSAGE_MAX, "message")
    statuses = ("registered", "waiting") if audience == "all" else (audience,)
    user_ids = list(db.session.scalars(select(Registration.user_id).where(
        Registration.challenge_id == challenge.id, Registration.status.in_(statuses))))
    if not user_ids:
        raise HoldupError("Nobody is in that list yet.", "audience")
    message = Message(challenge_id=challenge.id, author_id=actor.id, audience=audience, body=body,
                      created_at=clock.now())
    db.session.add(message)
    db.session.flush()
    signals.holdup_message.send(holdup, challenge_id=challenge.id, user_ids=user_ids, message_id=message.id,
                                body=body, author_id=actor.id)
    return message, user_ids


def messages_for(user, challenge, registration):
    """The owner's messages this member may read (the owner and facilitator read them all)."""
    query = select(Message).where(Message.challenge_id == challenge.id).order_by(Message.created_at.desc())
    if permissions.can_manage_holdup(user, challenge):
        return list(db.session.scalars(query.limit(20)))
    if registration is None or registration.status == "cancelled":
        return []
    audiences = ("registered", "all") if registration.status == "registered" else ("waiting", "all")
    return list(db.session.scalars(query.where(Message.audience.in_(audiences)).limit(20)))


# Calendar


def ics(challenge, holdup, url, with_place):
    """An iCalendar file with the start in the organiser's zone (and its VTIMEZONE)."""
    tz = zone(holdup.time_zone)
    start = clock.aware(holdup.starts_at).astimezone(tz)
    calendar = Calendar()
    calendar.add("prodid", "-//Kindling//Hold-ups//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"holdup-{challenge.id}@kindling")
    event.add("dtstamp", clock.now())
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=holdup.duration_minutes))
    # Titles of hold-ups often start with "Hold-up:" already; say it once.
    title = challenge.title if challenge.title.lower().startswith("hold-up") else f"Hold-up: {challenge.title}"
    event.add("summary", title)
    event.add("description", f"{challenge.summary}\n\n{url}")
    event.add("url", url)
    if with_place:
        location = " · ".join(part for part in (holdup.place, holdup.online_link) if part)
        event.add("location", location)
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
