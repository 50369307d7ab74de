"""Hold-up reminders: 24 hours and 1 hour before a session, to each registered participant, once.

The five-minute tick enqueues one job per hold-up, lead and start time; the
outbox's run key makes that once however often the tick runs. The start
time is part of the key, so a session moved to another time gets reminders
for its new time, and a job recorded for the old time finds the start moved
and does nothing. Each participant reads the time in their own zone (their
profile setting, else the zone the organiser chose for the session).
"""
import math
from datetime import timedelta

from sqlalchemy import select

from app import clock, jobs
from app.extensions import db
from challenges.holdups.models import Holdup, Registration
from challenges.holdups.services.zones import member_zones, plain_time
from challenges.models import Challenge
from notifications.services.delivery import notify

# Lead in hours -> the least time that may be left for it to still go out. A tick that runs late still
# reminds; a session set up 5 hours ahead gets only the 1-hour reminder, not a "24 hours" one at once.
LEADS = {24: 12, 1: 0}
# Sessions of a closed or unpublished challenge are off: nobody is reminded of them.
OFF_PHASES = ("draft", "closed")


def due_lead(starts_at, now):
    """The reminder due at `now` for a session starting at `starts_at` (24 or 1), or None."""
    left = starts_at - now
    for lead, least in LEADS.items():
        if timedelta(hours=least) < left <= timedelta(hours=lead):
            return lead
    return None


def time_left(starts_at, now):
    """How the wait reads: "in 24 hours", "in 1 hour", "in 40 minutes"."""
    minutes = math.ceil((starts_at - now).total_seconds() / 60)
    if minutes >= 90:
        return f"in {round(minutes / 60)} hours"
    if minutes >= 45:
        return "in 1 hour"
    return f"in {max(1, minutes)} minute{'s' if minutes > 1 else ''}"


def _starts_key(starts_at):
    return int(starts_at.timestamp())


def enqueue_holdup_reminders(now=None):
    """One job per hold-up, lead and start time (the outbox's run key); returns how many were due."""
    from notifications import jobs as notification_jobs

    now = now or clock.now()
    rows = db.session.execute(
        select(Holdup.challenge_id, Holdup.starts_at)
        .join(Challenge, Challenge.id == Holdup.challenge_id)
        .where(Holdup.status == "scheduled", Holdup.registered_count > 0,
               Holdup.starts_at > now, Holdup.starts_at <= now + timedelta(hours=max(LEADS)),
               Challenge.phase.not_in(OFF_PHASES))
    ).all()
    due = 0
    for challenge_id, starts_at in rows:
        starts_at = clock.aware(starts_at)
        lead = due_lead(starts_at, now)
        if lead is None:
            continue
        starts = _starts_key(starts_at)
        jobs.enqueue(notification_jobs.holdup_reminder, challenge_id, lead, starts,
                     run_key=f"holdup-reminder:{challenge_id}:{lead}h:{starts}")
        due += 1
    return due


def holdup_reminder(challenge_id, lead, starts, now=None):
    """Remind the registered participants, unless the session moved, started, ended or was closed since."""
    now = now or clock.now()
    holdup = db.session.get(Holdup, challenge_id)
    challenge = db.session.get(Challenge, challenge_id)
    if holdup is None or challenge is None or holdup.status != "scheduled" or challenge.phase in OFF_PHASES:
        return []
    starts_at = clock.aware(holdup.starts_at)
    if _starts_key(starts_at) != int(starts) or starts_at <= now:
        return []  # moved: the new time has reminders of its own
    participants = list(db.session.scalars(select(Registration.user_id).where(
        Registration.challenge_id == challenge_id, Registration.status == "registered")))
    chosen = member_zones(participants)
    by_zone = {}
    for user_id in participants:
        by_zone.setdefault(chosen.get(user_id) or holdup.time_zone, []).append(user_id)
    where = holdup.place or holdup.online_link
    created = []
    for zone_name, user_ids in sorted(by_zone.items()):
        message = (f"Reminder: the hold-up “{challenge.title}” starts {time_left(starts_at, now)}, "
                   f"on {plain_time(starts_at, zone_name)}." + (f" Where: {where}" if where else ""))
        created += notify(user_ids, "holdups", message, url=f"/challenges/{challenge.slug}", challenge=challenge)
    return created
