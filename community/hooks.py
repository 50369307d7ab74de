"""Community listens to changes that alter days already rolled up, so the job redoes them."""
from app import signals
from community.services import rollups


def idea_changed(sender, idea_id, **_):
    rollups.mark_dirty("idea", idea_id)


def comment_changed(sender, comment_id, **_):
    rollups.mark_dirty("comment", comment_id)


def ideas_merged(sender, source_id, target_id, **_):
    rollups.mark_dirty("idea", source_id)
    rollups.mark_dirty("idea", target_id)


def connect():
    signals.idea_status_changed.connect(idea_changed)
    signals.idea_support_withdrawn.connect(idea_changed)
    signals.comment_status_changed.connect(comment_changed)
    signals.idea_merged.connect(ideas_merged)
    signals.idea_unmerged.connect(ideas_merged)
