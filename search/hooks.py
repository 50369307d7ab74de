"""Signal receivers: every change to searchable content enqueues its reindex.

Receivers only enqueue (on the dedicated "search" queue, after commit);
the index is written by search.jobs, one writer at a time. `connect()` is
called from create_app.
"""
from app import jobs, signals
from search import jobs as search_jobs
from search.services import QUEUE


def _enqueue(function, *ids):
    jobs.enqueue(function, *ids, queue=QUEUE)


def _challenge_published(sender, challenge_id, **extra):
    _enqueue(search_jobs.index_challenge_content, challenge_id)


def _challenge_edited(sender, challenge_id, **extra):
    _enqueue(search_jobs.index_challenge, challenge_id)


def _challenge_phase_changed(sender, challenge_id, before=None, after=None, **extra):
    # Only leaving or entering draft changes who may see the ideas inside.
    content = "draft" in (before, after)
    _enqueue(search_jobs.index_challenge_content if content else search_jobs.index_challenge, challenge_id)


def _idea_changed(sender, idea_id, **extra):
    if extra.get("pending_edit"):
        return  # the edit waits for a moderator: the approved text, the one indexed, did not change
    _enqueue(search_jobs.index_documents, f"idea:{idea_id}")


def _idea_status_changed(sender, idea_id, **extra):
    # The same job for both: a submission that publishes at once sends both
    # signals in one transaction, and enqueue() keeps one of identical jobs.
    _enqueue(search_jobs.index_idea, idea_id)


def _idea_merged(sender, source_id, target_id, **extra):
    # The source changed status and the target gained (or lost) supporters.
    _enqueue(search_jobs.index_idea, source_id)
    _enqueue(search_jobs.index_documents, f"idea:{target_id}")
    return []  # no member's support moved here


def _comment_changed(sender, comment_id, **extra):
    if extra.get("pending_edit"):
        return  # as for ideas: the indexed text stays the approved one
    _enqueue(search_jobs.index_documents, f"comment:{comment_id}")


def connect():
    """Idempotent: blinker keeps one connection per receiver, however often create_app runs."""
    signals.challenge_published.connect(_challenge_published)
    signals.challenge_edited.connect(_challenge_edited)
    signals.challenge_phase_changed.connect(_challenge_phase_changed)
    signals.idea_edited.connect(_idea_changed)
    signals.idea_supported.connect(_idea_changed)
    signals.idea_support_withdrawn.connect(_idea_changed)
    signals.idea_submitted.connect(_idea_status_changed)
    signals.idea_status_changed.connect(_idea_status_changed)
    signals.idea_merged.connect(_idea_merged)
    signals.idea_unmerged.connect(_idea_merged)
    signals.comment_posted.connect(_comment_changed)
    signals.comment_edited.connect(_comment_changed)
    signals.comment_status_changed.connect(_comment_changed)
