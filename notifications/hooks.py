"""Signal receivers: each event becomes a notification job in the outbox (after commit, once).

Receivers only enqueue with ids; the jobs decide who is told (notifications.services.events).
connect() is called from create_app.
"""
from app import jobs, signals
from notifications import jobs as notification_jobs


def _csv(ids):
    return ",".join(str(i) for i in sorted({int(i) for i in ids or () if i}))


def on_moderation_notice(sender, user_ids, message, url=None, **extra):
    jobs.enqueue(notification_jobs.moderation_notice, _csv(user_ids), message, url or "")


def on_idea_status_changed(sender, idea_id, before, after, actor_id=None, **extra):
    jobs.enqueue(notification_jobs.idea_status_changed, idea_id, before or "", after, actor_id or 0)


def on_idea_reviewed(sender, idea_id, decision, actor_id=None, **extra):
    jobs.enqueue(notification_jobs.idea_reviewed, idea_id, decision, actor_id or 0)


def on_comment_posted(sender, comment_id, idea_id, status, flags=None, **extra):
    if status == "published":
        jobs.enqueue(notification_jobs.comment_published, comment_id)


def on_comment_status_changed(sender, comment_id, idea_id, before, after, **extra):
    jobs.enqueue(notification_jobs.comment_status_changed, comment_id, before or "", after)


def on_milestone_reached(sender, idea_id, level, supporters, **extra):
    jobs.enqueue(notification_jobs.milestone_reached, idea_id, level, supporters)


def on_challenge_phase_changed(sender, challenge_id, before=None, after=None, **extra):
    jobs.enqueue(notification_jobs.challenge_phase_changed, challenge_id, before or "", after or "")


def on_idea_merged(sender, source_id, target_id, actor_id=None, **extra):
    jobs.enqueue(notification_jobs.idea_merged, source_id, target_id, actor_id or 0)
    return []  # moves no one's support; voting answers that


def on_roles_changed(sender, user_id, actor_id=None, before=(), after=(), **extra):
    granted = [role for role in after if role not in before and role != "member"]
    if granted:
        jobs.enqueue(notification_jobs.roles_granted, user_id, ",".join(granted), actor_id or 0)


def on_contribution_queued(sender, idea_id=None, status=None, flags=None, held=None, **extra):
    """Something entered the moderation queue: its moderators hear, batched."""
    if idea_id and (status == "pending" or flags or held):
        _queue_grew(idea_id)


def on_vote_anomaly(sender, idea_id, note="", **extra):
    _queue_grew(idea_id)


def _queue_grew(idea_id):
    from app.extensions import db
    from challenges.models import Idea

    idea = db.session.get(Idea, idea_id)
    if idea is not None:
        jobs.enqueue(notification_jobs.queue_grew, idea.challenge_id)


def _holdup(kind, message):
    def receiver(sender, challenge_id, user_id=None, user_ids=None, status=None, body=None, author_id=None, **extra):
        # Nobody hears about what they did themselves (the owner's own message).
        ids = [i for i in list(user_ids or ()) + ([user_id] if user_id else []) if i != author_id]
        text = message
        if body:
            # The owner's words are text, never a format string.
            text = message + " " + body.replace("{", "{{").replace("}", "}}")
        if kind == "registered" and status == "waiting":
            text = "You are on the waitlist of the hold-up “{title}”; we will tell you if a place opens."
        jobs.enqueue(notification_jobs.holdup_event, kind, challenge_id, _csv(ids), text)
    receiver.__name__ = f"on_holdup_{kind}"
    return receiver


on_holdup_registered = _holdup("registered", "Your place at the hold-up “{title}” is confirmed.")
on_holdup_promoted = _holdup("promoted", "A place opened: you are now registered for the hold-up “{title}”.")
on_holdup_report_ready = _holdup("report", "The report of the hold-up “{title}” is ready.")
on_holdup_message = _holdup("message", "News from the hold-up “{title}”.")


def connect():
    signals.moderation_notice.connect(on_moderation_notice)
    signals.idea_status_changed.connect(on_idea_status_changed)
    signals.idea_reviewed.connect(on_idea_reviewed)
    signals.comment_posted.connect(on_comment_posted)
    signals.comment_status_changed.connect(on_comment_status_changed)
    signals.milestone_reached.connect(on_milestone_reached)
    signals.challenge_phase_changed.connect(on_challenge_phase_changed)
    signals.idea_merged.connect(on_idea_merged)
    signals.roles_changed.connect(on_roles_changed)
    signals.idea_submitted.connect(on_contribution_queued)
    signals.idea_edited.connect(on_contribution_queued)
    signals.comment_posted.connect(on_contribution_queued)
    signals.comment_edited.connect(on_contribution_queued)
    signals.vote_anomaly.connect(on_vote_anomaly)
    signals.holdup_registered.connect(on_holdup_registered)
    signals.holdup_promoted.connect(on_holdup_promoted)
    signals.holdup_report_ready.connect(on_holdup_report_ready)
    signals.holdup_message.connect(on_holdup_message)
