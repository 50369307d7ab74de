"""Registration, cancellation, the waitlist and the calendar file."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app import clock, signals
from challenges.holdups.services import HoldupError
from challenges.holdups.services import registration as reg
from tests.factories import UserFactory
from tests.holdups.conftest import make_holdup


@pytest.fixture
def received():
    caught = []

    def on_registered(sender, **kw):
        caught.append(("registered", kw))

    def on_promoted(sender, **kw):
        caught.append(("promoted", kw))

    signals.holdup_registered.connect(on_registered)
    signals.holdup_promoted.connect(on_promoted)
    yield caught
    signals.holdup_registered.disconnect(on_registered)
    signals.holdup_promoted.disconnect(on_promoted)


def test_seats_then_waitlist_in_order_and_promotion_on_cancel(session, received):
    challenge, holdup = make_holdup(capacity=2)
    a, b, c, d = (UserFactory() for _ in range(4))
    for user in (a, b, c, d):
        reg.register(user, challenge, holdup, accept_norms=True)
    assert (holdup.registered_count, holdup.waiting_count) == (2, 2)
    waiting = [r for r, _u in reg.registrations(challenge.id, "waiting")]
    assert [r.user_id for r in waiting] == [c.id, d.id]
    assert [reg.waitlist_position(r) for r in waiting] == [1, 2]

    was, promoted = reg.cancel(a, challenge, holdup)
    assert was == "registered" and promoted == [c.id]
    assert reg.registration_of(c, challenge.id).status == "registered"
    assert reg.waitlist_position(reg.registration_of(d, challenge.id)) == 1
    assert (holdup.registered_count, holdup.waiting_count) == (2, 1)
    assert ("promoted", {"challenge_id": challenge.id, "user_id": c.id}) in received
    assert received[0] == ("registered", {"challenge_id": challenge.id, "user_id": a.id, "status": "registered"})

    # A waiting member who cancels promotes nobody.
    assert reg.cancel(d, challenge, holdup) == ("waiting", [])
    assert (holdup.registered_count, holdup.waiting_count) == (2, 0)


def test_registering_twice_is_refused_with_the_waitlist_position(session):
    challenge, holdup = make_holdup(capacity=1)
    first, second = UserFactory(), UserFactory()
    reg.register(first, challenge, holdup, accept_norms=True)
    reg.register(second, challenge, holdup, accept_norms=True)
    with pytest.raises(HoldupError, match="already registered"):
        reg.register(first, challenge, holdup)
    with pytest.raises(HoldupError, match="waitlist, in position 1"):
        reg.register(second, challenge, holdup)


def test_norms_must_be_accepted_and_registration_closes_at_the_start(session):
    challenge, holdup = make_holdup()
    member = UserFactory()
    with pytest.raises(HoldupError) as error:
        reg.register(member, challenge, holdup)
    assert error.value.field == "accept_norms"
    clock.freeze(clock.aware(holdup.starts_at) + timedelta(seconds=1))
    with pytest.raises(HoldupError, match="closed when the session started"):
        reg.register(member, challenge, holdup, accept_norms=True)


def test_raising_the_capacity_promotes_the_waitlist(session):
    from datetime import time

    from challenges.holdups.services import setup

    challenge, holdup = make_holdup(capacity=1)
    users = [UserFactory() for _ in range(3)]
    for user in users:
        reg.register(user, challenge, holdup, accept_norms=True)
    day = clock.aware(holdup.starts_at).astimezone(ZoneInfo("Europe/Paris")).date()
    setup.save_holdup(challenge.owner, challenge, day=day, at=time(18, 30), time_zone="Europe/Paris", capacity=2,
                      place=holdup.place, online_link=holdup.online_link)
    assert [r.user_id for r, _u in reg.registrations(challenge.id, "registered")] == [users[0].id, users[1].id]


def test_ics_parses_back_with_the_organisers_zone(session):
    challenge, holdup = make_holdup()
    data = reg.ics(challenge, holdup, "http://x/challenges/a", with_place=True)
    calendar = Calendar.from_ical(data)
    event = calendar.walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Paris"
    assert start.astimezone(ZoneInfo("UTC")) == clock.aware(holdup.starts_at)
    assert (start.hour, start.minute) == (18, 30)
    assert event.decoded("dtend") - start == timedelta(minutes=120)
    assert "La Ruche" in str(event["location"])
    assert calendar.walk("VTIMEZONE")[0]["tzid"] == "Europe/Paris"
    hidden = Calendar.from_ical(reg.ics(challenge, holdup, "http://x", with_place=False)).walk("VEVENT")[0]
    assert "location" not in hidden


def test_owner_messages_go_out_as_a_signal_with_the_members(session):
    challenge, holdup = make_holdup(capacity=1)
    seated, waiting = UserFactory(), UserFactory()
    reg.register(seated, challenge, holdup, accept_norms=True)
    reg.register(waiting, challenge, holdup, accept_norms=True)
    heard = []

    def on_message(sender, **kw):
        heard.append(kw)

    signals.holdup_message.connect(on_message)
    try:
        reg.message_people(challenge.owner, challenge, holdup, "See you at 18:30", "all")
        with pytest.raises(HoldupError) as error:
            reg.message_people(challenge.owner, challenge, holdup, "\x00", "registered")
        assert error.value.field == "body"
        with pytest.raises(PermissionError):
            reg.message_people(seated, challenge, holdup, "Hi", "all")
    finally:
        signals.holdup_message.disconnect(on_message)
    assert heard[0]["challenge_id"] == challenge.id and sorted(heard[0]["user_ids"]) == sorted([seated.id, waiting.id])
    assert heard[0]["body"] == "See you at 18:30"
    assert [m.body for m in reg.messages_for(waiting, challenge, reg.registration_of(waiting, challenge.id))] \
        == ["See you at 18:30"]
