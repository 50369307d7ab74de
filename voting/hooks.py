"""Voting listens to challenges (publishing, phases, comments) and to moderation (merges).

Each receiver hands the ids to a voting service; `connect()` is called from create_app.
"""
from app import signals
from voting.services import milestones, pairwise, rankings, supports


def move_supports_on_merge(sender, source_id, target_id, **_):
    return supports.move_supports_on_merge(source_id, target_id)


def restore_supports_on_unmerge(sender, source_id, target_id, **_):
    return supports.restore_supports_on_unmerge(source_id, target_id)


def comment_heats_idea(sender, idea_id, status, **_):
    rankings.heat_for_comment(idea_id, status)


def comment_status_heats_idea(sender, comment_id, idea_id, before, after, **_):
    rankings.heat_for_comment_status(comment_id, idea_id, before, after)


def start_ladder_on_publish(sender, idea_id, before, after, **_):
    milestones.start_ladder_on_publish(idea_id, before, after)


def start_ladders_when_voting_opens(sender, challenge_id, after, **_):
    milestones.start_ladders_when_voting_opens(challenge_id, after)


def join_open_pairwise_round(sender, idea_id, after, **_):
    pairwise.join_open_pairwise_round(idea_id, after)


def connect():
    """Idempotent: blinker keeps one connection per receiver, however often create_app runs."""
    signals.idea_merged.connect(move_supports_on_merge)
    signals.idea_unmerged.connect(restore_supports_on_unmerge)
    signals.comment_posted.connect(comment_heats_idea)
    signals.comment_status_changed.connect(comment_status_heats_idea)
    signals.idea_status_changed.connect(start_ladder_on_publish)
    signals.challenge_phase_changed.connect(start_ladders_when_voting_opens)
    signals.idea_status_changed.connect(join_open_pairwise_round)
