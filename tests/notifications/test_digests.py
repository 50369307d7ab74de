"""Digests: at the member's morning, grouped per idea, newest first, once, never empty."""
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app import clock, scheduler
from app.extensions import db
from app.outbox import OutboxJob
from moderation.services import decisions, items
from notifications.services import digests
from notifications.services.delivery import notify
from notifications.services.kinds import set_preferences
from tests.factories import IdeaFactory, UserFactory
from tests.notifications.conftest import commit, emails_of, notifications_of

EVENING = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # a Tuesday
NEXT_MORNING = datetime(2026, 12, 2, 8, 5, tzinfo=UTC)


def _activity(member, ideas):
    for minute, idea in enumerate(ideas * 2):
        clock.freeze(EVENING + timedelta(minutes=minute))
        notify([member.id], "comments", f"Comment at minute {minute} on {idea.title}", url=f"/ideas/{idea.id}",
               idea=idea)
    commit()
    clock.freeze(None)


def test_daily_digest_groups_per_idea_newest_first_at_morning_once(session, member, inbox):
    ideas = [IdeaFactory(title="Solar kiosk at the market square"), IdeaFactory(title="Tool library in the school")]
    _activity(member, ideas)
    assert inbox.to(member.email) == []  # comments wait for the digest by default
    assert digests.collect_digests(now=NEXT_MORNING - timedelta(hours=2)) == []  # 06:05: not morning yet
    assert len(digests.collect_digests(now=NEXT_MORNING)) == 1
    commit()
    assert digests.collect_digests(now=NEXT_MORNING + timedelta(minutes=10)) == []  # a second tick: nothing
    commit()
    [message] = inbox.to(member.email)
    assert message["Subject"] == "Your daily Kindling digest: 4 updates"
    text = message.get_body(("plain",)).get_content()
    # The idea with the newest activity first, its newest item first.
    assert text.index("== Tool library in the school (2) ==") < text.index("== Solar kiosk at the market square (2) ==")
    assert text.index("minute 3 ") < text.index("minute 1 ")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The next morning there is nothing new: no e-mail at all.
    assert digests.collect_digests(now=NEXT_MORNING + timedelta(days=1)) == []


def test_weekly_digest_waits_for_monday(session, member, inbox):
    set_preferences(member, {"comments": "weekly"})
    _activity(member, [IdeaFactory()])
    assert digests.collect_digests(now=NEXT_MORNING) == []  # Wednesday
    monday = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert len(digests.collect_digests(now=monday)) == 1
    commit()
    assert inbox.to(member.email)[0]["Subject"].startswith("Your weekly Kindling digest")


def test_digest_about_content_hidden_since_is_not_sent(session, inbox):
    member, moderator = UserFactory(), UserFactory(is_moderator=True)
    idea = IdeaFactory()
    _activity(member, [idea])
    decisions.decide(moderator, items.load_item("idea", idea.id), "hide", note="Checking")
    commit()
    digests.collect_digests(now=NEXT_MORNING)
    commit()
    assert inbox.to(member.email) == []
    [row] = emails_of(member)
    assert row.skipped and row.sent_at is None


def test_two_scheduler_ticks_at_once_record_one_run_and_one_digest(session, member, inbox):
    _activity(member, [IdeaFactory()])
    clock.freeze(NEXT_MORNING)
    first, second = {}, {}  # two schedulers, each with its own memory
    scheduler.run_due(first)
    scheduler.run_due(second)
    runs = db.session.scalar(select(func.count()).select_from(OutboxJob)
                             .where(OutboxJob.name == "notifications.jobs:collect_digests"))
    assert runs == 1
    assert len(inbox.to(member.email)) == 1


def test_milestone_deadline_reminder_a_week_ahead_once(session):
    from app.auth.models import User
    from notifications.services import reminders
    from voting.models import IdeaMilestone

    soon, later = IdeaFactory(supporter_count=40), IdeaFactory()
    now = clock.now()
    db.session.add_all([
        IdeaMilestone(idea_id=soon.id, reached=0, started_at=now - timedelta(days=55), deadline_at=now + timedelta(days=5)),
        IdeaMilestone(idea_id=later.id, reached=0, started_at=now, deadline_at=now + timedelta(days=60)),
    ])
    commit()
    for _ in range(3):  # the hourly tick, three times
        reminders.enqueue_milestone_reminders()
        commit()
    author = db.session.get(User, soon.author_id)
    assert [n.message for n in notifications_of(author)] == [
        f"Your idea “{soon.title}” needs 60 more supporters within 5 days to reach 100; share it!"]
    assert notifications_of(db.session.get(User, later.author_id)) == []
