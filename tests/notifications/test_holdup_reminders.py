"""Hold-up reminders: 24 hours and 1 hour before, to registered participants only, once, in their own zone."""
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from app import clock, scheduler
from app.extensions import db
from app.outbox import OutboxJob
from challenges.holdups.services import registration as reg
from challenges.holdups.services import setup
from challenges.holdups.services.zones import set_viewer_zone
from notifications.services import holdup_reminders
from tests.factories import UserFactory
from tests.holdups.conftest import make_holdup
from tests.notifications.conftest import commit, messages_of

TODAY = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
# make_holdup: seven days ahead at 18:30 in Europe/Paris (UTC+1 in December).
START = datetime(2026, 12, 8, 17, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(TODAY)
    yield
    clock.freeze(None)


def reminders_of(user):
    return [text for text in messages_of(user) if text.startswith("Reminder:")]


def tick(moment, times=3):
    """The periodic job, several times at `moment` (a second scheduler, a retried tick)."""
    clock.freeze(moment)
    for _ in range(times):
        holdup_reminders.enqueue_holdup_reminders()
        commit()


def _people(challenge, holdup):
    """Registered (one in Auckland, one without a zone), one cancelled, one on the waitlist."""
    auckland, plain, cancelled, waiting = (UserFactory() for _ in range(4))
    set_viewer_zone(auckland, "Pacific/Auckland")
    for user in (auckland, cancelled, plain, waiting):
        reg.register(user, challenge, holdup, accept_norms=True)
    reg.cancel(cancelled, challenge, holdup)  # its seat goes to `plain`, first on the waitlist
    commit()
    assert reg.registration_of(plain, challenge.id).status == "registered"
    assert reg.registration_of(waiting, challenge.id).status == "waiting"
    return auckland, plain, cancelled, waiting


def test_reminders_24h_and_1h_once_each_to_participants_in_their_zone(session):
    challenge, holdup = make_holdup(capacity=2)
    auckland, plain, cancelled, waiting = _people(challenge, holdup)
    tick(START - timedelta(hours=30))
    assert reminders_of(auckland) == []  # not yet
    for moment in (START - timedelta(hours=24), START - timedelta(hours=20), START - timedelta(hours=2)):
        tick(moment)
    for moment in (START - timedelta(minutes=55), START - timedelta(minutes=10)):
        tick(moment)
    tick(START + timedelta(minutes=5))
    title = challenge.title
    where = " Where: La Ruche, 24 rue de l'Est, Paris"
    # 18:30 in Paris is 06:30 the next morning in Auckland.
    assert reminders_of(auckland) == [
        f"Reminder: the hold-up “{title}” starts in 24 hours, on Wed 09 Dec 2026, 06:30 (Pacific/Auckland).{where}",
        f"Reminder: the hold-up “{title}” starts in 1 hour, on Wed 09 Dec 2026, 06:30 (Pacific/Auckland).{where}",
    ]
    # Without a zone of their own, a participant reads the session's zone.
    assert reminders_of(plain) == [
        f"Reminder: the hold-up “{title}” starts in 24 hours, on Tue 08 Dec 2026, 18:30 (Europe/Paris).{where}",
        f"Reminder: the hold-up “{title}” starts in 1 hour, on Tue 08 Dec 2026, 18:30 (Europe/Paris).{where}",
    ]
    assert reminders_of(cancelled) == [] and reminders_of(waiting) == []


def test_two_schedulers_record_each_reminder_once(session):
    challenge, holdup = make_holdup(capacity=2)
    auckland, *_ = _people(challenge, holdup)
    clock.freeze(START - timedelta(hours=23, minutes=58))
    first, second = {}, {}
    scheduler.run_due(first)
    scheduler.run_due(second)
    runs = db.session.scalar(select(func.count()).select_from(OutboxJob)
                             .where(OutboxJob.name == "notifications.jobs:holdup_reminder"))
    assert runs == 1
    assert len(reminders_of(auckland)) == 1


def test_a_moved_session_is_reminded_at_its_new_time_not_twice_at_the_old(session):
    challenge, holdup = make_holdup(capacity=2)
    auckland, plain, *_ = _people(challenge, holdup)
    tick(START - timedelta(hours=23, minutes=57))
    assert len(reminders_of(plain)) == 1
    # The owner moves the session three hours later, then the scheduler keeps ticking.
    clock.freeze(START - timedelta(hours=22))
    setup.save_holdup(challenge.owner, challenge, day=START.date(), at=time(21, 30), time_zone="Europe/Paris",
                      capacity=2, place=holdup.place, online_link=holdup.online_link)
    commit()
    moved = START + timedelta(hours=3)
    # A reminder job recorded for the old time before the move, run after it: nothing.
    assert holdup_reminders.holdup_reminder(challenge.id, 24, int(START.timestamp())) == []
    for moment in (START - timedelta(hours=21), moved - timedelta(hours=23, minutes=57),
                   moved - timedelta(hours=12),
                   START - timedelta(minutes=30), moved - timedelta(minutes=40), moved + timedelta(minutes=1)):
        tick(moment)
    texts = reminders_of(plain)
    assert [text.split(" starts ")[1].split(".")[0] for text in texts] == [
        "in 24 hours, on Tue 08 Dec 2026, 18:30 (Europe/Paris)",
        "in 24 hours, on Tue 08 Dec 2026, 21:30 (Europe/Paris)",
        "in 40 minutes, on Tue 08 Dec 2026, 21:30 (Europe/Paris)",
    ]
    assert len(reminders_of(auckland)) == 3


def test_no_reminders_for_ended_or_closed_sessions(session):
    closed_challenge, closed = make_holdup(capacity=2)
    ended_challenge, ended = make_holdup(capacity=2)
    members = _people(closed_challenge, closed) + _people(ended_challenge, ended)
    closed_challenge.phase = "closed"
    ended.status = "ended"
    commit()
    tick(START - timedelta(hours=23))
    tick(START - timedelta(minutes=30))
    assert all(reminders_of(member) == [] for member in members)


def test_a_session_set_up_hours_ahead_gets_only_the_one_hour_reminder(session):
    clock.freeze(START - timedelta(hours=5))
    challenge, holdup = make_holdup(capacity=2, days_ahead=0)
    auckland, *_ = _people(challenge, holdup)
    tick(START - timedelta(hours=4))
    tick(START - timedelta(minutes=50))
    assert [text.split(" starts ")[1][:10] for text in reminders_of(auckland)] == ["in 1 hour,"]
