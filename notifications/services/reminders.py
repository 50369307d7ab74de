"""Reminders of what is due: an idea's next milestone deadline, a week ahead."""
import math
from datetime import timedelta

from sqlalchemy import select

from app import clock, jobs
from app.extensions import db
from challenges.models import Challenge, Idea
from notifications.services.delivery import notify
from voting.models import IdeaMilestone
from voting.services.milestones import ladder

MILESTONE_NOTICE = timedelta(days=7)


def enqueue_milestone_reminders(now=None):
    """One reminder job per idea and deadline, however often this runs (the outbox's run key)."""
    from notifications import jobs as notification_jobs

    now = now or clock.now()
    due = db.session.execute(
        select(IdeaMilestone.idea_id, IdeaMilestone.deadline_at)
        .join(Idea, Idea.id == IdeaMilestone.idea_id)
        .where(IdeaMilestone.deadline_at > now, IdeaMilestone.deadline_at <= now + MILESTONE_NOTICE,
               Idea.status == "published")
    ).all()
    for idea_id, deadline in due:
        jobs.enqueue(notification_jobs.milestone_deadline_soon, idea_id,
                     run_key=f"milestone-reminder:{idea_id}:{clock.aware(deadline):%Y-%m-%d}")
    return len(due)


def milestone_deadline_soon(idea_id, now=None):
    now = now or clock.now()
    idea = db.session.get(Idea, idea_id)
    progress = db.session.get(IdeaMilestone, idea_id)
    if idea is None or progress is None or idea.status != "published" or progress.deadline_at is None:
        return
    deadline = clock.aware(progress.deadline_at)
    if not now < deadline <= now + MILESTONE_NOTICE:
        return
    challenge = db.session.get(Challenge, idea.challenge_id)
    steps = ladder(challenge)
    if progress.reached >= len(steps):
        return
    target = steps[progress.reached].supporters
    missing = max(0, target - idea.supporter_count)
    days = max(1, math.ceil((deadline - now).total_seconds() / 86400))
    notify([idea.author_id], "idea_updates",
           f"Your idea “{idea.title}” needs {missing:,} more supporter{'s' if missing != 1 else ''} "
           f"within {days} day{'s' if days != 1 else ''} to reach {target:,}; share it!",
           url=f"/ideas/{idea.id}", idea=idea, challenge=challenge)
