"""Moderation listens to the contributions the challenges feature saves."""
from app import signals
from moderation import services


@signals.contribution_screening.connect
def screen_contribution(sender, user, challenge_id, kind, text, link_count, **_):
    return services.screen(user, kind, text, link_count)


@signals.idea_submitted.connect
def queue_idea(sender, idea_id, status, flags=(), **_):
    services.after_submission("idea", idea_id, status, flags)


@signals.comment_posted.connect
def queue_comment(sender, comment_id, status, flags=(), **_):
    services.after_submission("comment", comment_id, status, flags)


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
