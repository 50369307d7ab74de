"""Moderation listens to the contributions the challenges feature saves."""
from app import signals
from moderation import services


@signals.contribution_screening.connect
def screen_contribution(sender, user, challenge_id, kind, text, link_count, edit=False, **_):
    return services.screen(user, kind, text, link_count, edit=edit)


@signals.idea_submitted.connect
def queue_idea(sender, idea_id, status, flags=(), **_):
    services.after_submission("idea", idea_id, status, flags)


@signals.comment_posted.connect
def queue_comment(sender, comment_id, status, flags=(), **_):
    services.after_submission("comment", comment_id, status, flags)


@signals.idea_edited.connect
def recheck_idea(sender, idea_id, held=False, flags=(), **_):
    services.after_edit("idea", idea_id, held, flags)


@signals.comment_edited.connect
def recheck_comment(sender, comment_id, held=False, flags=(), **_):
    services.after_edit("comment", comment_id, held, flags)


@signals.idea_status_changed.connect
def idea_left_play(sender, idea_id, after, **_):
    if after == "withdrawn":
        services.close_cases_of("idea", idea_id, "withdrawn")


@signals.comment_status_changed.connect
def comment_deleted(sender, comment_id, after, **_):
    if after == "deleted":
        services.close_cases_of("comment", comment_id, "deleted")


@signals.vote_anomaly.connect
def queue_vote_anomaly(sender, idea_id, note="", **_):
    services.queue_vote_anomaly(idea_id, note)
