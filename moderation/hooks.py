"""Moderation listens to the contributions the challenges feature saves, and to voting's anomalies.

Plain receivers; `connect()` is called from create_app.
"""
from app import signals
from challenges.models import IDEA_PUBLIC
from challenges.services import edits
from moderation.services import queue, screening


def screen_contribution(sender, user, challenge_id, kind, text, link_count, edit=False, paced=False, **_):
    return screening.screen(user, kind, text, link_count, edit=edit, paced=paced)


def queue_idea(sender, idea_id, status, flags=(), **_):
    screening.after_submission("idea", idea_id, status, flags)


def queue_comment(sender, comment_id, status, flags=(), **_):
    screening.after_submission("comment", comment_id, status, flags)


def recheck_idea(sender, idea_id, held=False, flags=(), editor_id=None, before=None, after=None,
                 pending_edit=False, **_):
    screening.after_edit("idea", idea_id, held, flags, editor_id=editor_id, before=before, after=after,
                         pending_edit=pending_edit)


def recheck_comment(sender, comment_id, held=False, flags=(), editor_id=None, before=None, after=None,
                    pending_edit=False, **_):
    screening.after_edit("comment", comment_id, held, flags, editor_id=editor_id, before=before, after=after,
                         pending_edit=pending_edit)


def idea_left_play(sender, idea_id, after, **_):
    if after == "withdrawn":
        queue.close_cases_of("idea", idea_id, "withdrawn")
    if after not in IDEA_PUBLIC:
        # Hidden, rejected, merged or withdrawn: an edit waiting to replace its public text has nothing to replace.
        edits.discard_pending_edits_of("idea", idea_id)


def comment_deleted(sender, comment_id, after, **_):
    if after == "deleted":
        queue.close_cases_of("comment", comment_id, "deleted")
    if after != "published":
        edits.discard_pending_edits_of("comment", comment_id)


def queue_vote_anomaly(sender, idea_id, note="", **_):
    queue.queue_vote_anomaly(idea_id, note)


def connect():
    """Idempotent: blinker keeps one connection per receiver, however often create_app runs."""
    signals.contribution_screening.connect(screen_contribution)
    signals.idea_submitted.connect(queue_idea)
    signals.comment_posted.connect(queue_comment)
    signals.idea_edited.connect(recheck_idea)
    signals.comment_edited.connect(recheck_comment)
    signals.idea_status_changed.connect(idea_left_play)
    signals.comment_status_changed.connect(comment_deleted)
    signals.vote_anomaly.connect(queue_vote_anomaly)
