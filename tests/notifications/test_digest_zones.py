"""Digests at each member's own morning (DIGEST_HOUR in their profile zone, UTC without one), once per period."""
from datetime import UTC, datetime, timedelta

from app import clock
from challenges.holdups.services.zones import set_viewer_zone
from notifications.services import digests
from notifications.services.delivery import notify
from notifications.services.kinds import set_preferences
from tests.factories import IdeaFactory, UserFactory
from tests.notifications.conftest import commit, emails_of

# Tuesday 1 December 2026, 12:00 UTC: 01:00 on Wednesday in Auckland (UTC+13), 04:00 on Tuesday in Los Angeles (UTC-8).
NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _members(*zone_names):
    members = []
    for name in zone_names:
        member = UserFactory()
        if name:
            set_viewer_zone(member, name)
        members.append(member)
    return members


def _activity(members, at):
    clock.freeze(at)
    idea = IdeaFactory(title="Solar kiosk at the market square")
    for member in members:
        notify([member.id], "comments", f"A comment for {member.username}", url=f"/ideas/{idea.id}", idea=idea)
    commit()
    clock.freeze(None)


def _ticks(start, hours, every_minutes=10):
    """The scheduler's collect_digests every ten minutes; returns {user_id: [UTC times a digest was made]}."""
    made = {}
    moment = start
    while moment < start + timedelta(hours=hours):
        for email_id in digests.collect_digests(now=moment):
            made.setdefault(email_id, moment)
        commit()
        moment += timedelta(minutes=every_minutes)
    return made


def test_daily_digest_at_each_members_local_morning_once(session, inbox):
    auckland, los_angeles, utc = _members("Pacific/Auckland", "America/Los_Angeles", None)
    _activity([auckland, los_angeles, utc], NOON)
    made = _ticks(NOON, 26)
    sent_at = {}
    for member in (auckland, los_angeles, utc):
        rows = emails_of(member)
        assert len(rows) == 1, member.username  # once, however many ticks ran
        sent_at[member.id] = (made[rows[0].id], rows[0].key.rsplit(":", 1)[1])
        assert len(inbox.to(member.email)) == 1
    # 08:00 in Los Angeles on Tuesday is 16:00 UTC; 08:00 in Auckland on Wednesday is 19:00 UTC on Tuesday.
    assert sent_at[los_angeles.id] == (datetime(2026, 12, 1, 16, 0, tzinfo=UTC), "2026-12-01")
    assert sent_at[auckland.id] == (datetime(2026, 12, 1, 19, 0, tzinfo=UTC), "2026-12-02")
    assert sent_at[utc.id] == (datetime(2026, 12, 2, 8, 0, tzinfo=UTC), "2026-12-02")


def test_more_activity_waits_for_the_next_local_morning(session, inbox):
    [auckland] = _members("Pacific/Auckland")
    _activity([auckland], NOON)
    assert len(digests.collect_digests(now=datetime(2026, 12, 1, 19, 0, tzinfo=UTC))) == 1
    commit()
    _activity([auckland], datetime(2026, 12, 1, 21, 0, tzinfo=UTC))  # 10:00 on Wednesday in Auckland
    assert digests.collect_digests(now=datetime(2026, 12, 2, 18, 50, tzinfo=UTC)) == []  # still Wednesday there
    assert len(digests.collect_digests(now=datetime(2026, 12, 2, 19, 0, tzinfo=UTC))) == 1  # Thursday 08:00
    commit()
    assert [row.key.rsplit(":", 1)[1] for row in emails_of(auckland)] == ["2026-12-02", "2026-12-03"]
    assert len(inbox.to(auckland.email)) == 2


def test_weekly_digest_on_the_members_own_monday_morning(session, inbox):
    auckland, los_angeles = _members("Pacific/Auckland", "America/Los_Angeles")
    for member in (auckland, los_angeles):
        set_preferences(member, {"comments": "weekly"})
    _activity([auckland, los_angeles], NOON)
    made = _ticks(datetime(2026, 12, 6, 12, 0, tzinfo=UTC), 30)  # Sunday noon UTC to Monday 18:00 UTC
    [nz], [la] = emails_of(auckland), emails_of(los_angeles)
    # Monday 08:00 in Auckland is Sunday 19:00 UTC; in Los Angeles, Monday 16:00 UTC.
    assert (made[nz.id], nz.key.rsplit(":", 1)[1]) == (datetime(2026, 12, 6, 19, 0, tzinfo=UTC), "2026-W50")
    assert (made[la.id], la.key.rsplit(":", 1)[1]) == (datetime(2026, 12, 7, 16, 0, tzinfo=UTC), "2026-W50")
    assert inbox.to(auckland.email)[0]["Subject"].startswith("Your weekly Kindling digest")


def test_a_full_batch_carries_on_until_every_member_has_their_digest(session, inbox):
    members = _members(None, None, None, "Europe/London", None)
    _activity(members, NOON)
    clock.freeze(datetime(2026, 12, 2, 8, 10, tzinfo=UTC))
    try:
        assert len(digests.collect_digests(batch=2)) == 2
        commit()  # the follow-up job takes the rest
    finally:
        clock.freeze(None)
    assert [len(emails_of(member)) for member in members] == [1, 1, 1, 1, 1]
    assert all(len(inbox.to(member.email)) == 1 for member in members)


def test_a_tick_after_the_morning_costs_the_same_however_many_members_had_their_digest(session, count_queries):
    def later_tick_queries(count):
        members = _members(*(["Pacific/Auckland", None] * count))
        _activity(members, NOON)
        digests.collect_digests(now=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
        commit()
        _activity(members, datetime(2026, 12, 2, 9, 30, tzinfo=UTC))  # waits for tomorrow's digest
        with count_queries as counted:
            assert digests.collect_digests(now=datetime(2026, 12, 2, 10, 0, tzinfo=UTC)) == []
        return counted.count

    # Zones, then one query per due period: nobody is looped over in Python.
    assert later_tick_queries(2) == later_tick_queries(10) == 3
