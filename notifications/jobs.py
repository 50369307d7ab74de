"""Notification jobs: they take ids (and short strings), call services; app.jobs commits.

Each runs exactly once to completion: the outbox marks it done in the same
transaction as the notifications it creates.
"""
from app.scheduler import every
from notifications.services import digests, emails, events, holdup_reminders, reminders


def _ids(csv):
    return [int(part) for part in str(csv).split(",") if part.strip().isdigit()]


def moderation_notice(user_ids, message, url):
    events.moderation_notice(_ids(user_ids), message, url)


def idea_status_changed(idea_id, before, after, actor_id):
    events.idea_status_changed(idea_id, before, after, actor_id or None)


def idea_reviewed(idea_id, decision, actor_id):
    events.idea_reviewed(idea_id, decision, actor_id or None)


def comment_published(comment_id):
    events.comment_published(comment_id)


def comment_status_changed(comment_id, before, after):
    events.comment_status_changed(comment_id, before, after)


def milestone_reached(idea_id, level, supporters):
    events.milestone_reached(idea_id, level, supporters)


def challenge_phase_changed(challenge_id, before, after):
    events.challenge_phase_changed(challenge_id, before, after)


def idea_merged(source_id, target_id, actor_id):
    events.idea_merged(source_id, target_id, actor_id or None)


def roles_granted(user_id, roles, actor_id):
    events.roles_granted(user_id, [role for role in roles.split(",") if role], actor_id or None)


def queue_grew(challenge_id):
    events.queue_grew(challenge_id)


def holdup_event(kind, challenge_id, user_ids, message):
    events.holdup_event(kind, challenge_id, _ids(user_ids), message)


def challenge_invitation(challenge_id, user_ids, message, actor_id):
    events.challenge_invitation(challenge_id, _ids(user_ids), message, actor_id)


def send_email(email_id):
    """SMTP first, then the row is marked sent (committed by the outbox with the job's done mark)."""
    emails.send(email_id)


def collect_digests():
    """Due daily and weekly digests, each created once, however many ticks run."""
    digests.collect_digests()


def enqueue_milestone_reminders():
    """Ideas whose next milestone deadline is within a week: one reminder each per deadline."""
    reminders.enqueue_milestone_reminders()


def milestone_deadline_soon(idea_id):
    reminders.milestone_deadline_soon(idea_id)


def enqueue_holdup_reminders():
    """Hold-ups starting within 24 hours (or 1 hour): one reminder job each per lead and start time."""
    holdup_reminders.enqueue_holdup_reminders()


def holdup_reminder(challenge_id, lead, starts):
    holdup_reminders.holdup_reminder(challenge_id, lead, starts)


def schedule():
    # Every 10 minutes: each member's local DIGEST_HOUR comes round at their zone's offset, not only on the hour.
    every(600, collect_digests)
    every(3600, enqueue_milestone_reminders)
    # A reminder "in 1 hour" should not arrive 50 minutes late.
    every(300, enqueue_holdup_reminders)
