"""Signal receivers: every change to searchable content enqueues its reindex.

Receivers only enqueue (on the dedicated "search" queue, after commit);
the index is written by search.jobs, one writer at a time.
"""
from app import jobs, signals
from search import jobs as search_jobs
from search.services import QUEUE


def _enqueue(function, *ids):
    jobs.enqueue(function, *ids, queue=QUEUE)


@signals.challenge_published.connect
def _challenge_published(sender, challenge_id, **extra):
    _enqueue(search_jobs.index_challenge_content, challenge_id)


@signals.challenge_edited.connect
def _challenge_edited(sender, challenge_id, **extra):
    _enqueue(search_jobs.index_challenge, challenge_id)


@signals.challenge_phase_changed.connect
def _challenge_phase_changed(sender, challenge_id, before=None, after=None, **extra):
    # Only leaving or entering draft changes who may see the ideas inside.
    content = "draft" in (before, after)
    _enqueue(search_jobs.index_challenge_content if content else search_jobs.index_challenge, challenge_id)


@signals.idea_edited.connect
@signals.idea_supporters_changed.connect
def _idea_changed(sender, idea_id, **extra):
    _enqueue(search_jobs.index_documents, f"idea:{idea_id}")


@signals.idea_submitted.connect
@signals.idea_status_changed.connect
def _idea_status_changed(sender, idea_id, **extra):
    # The same job for both: a submission that publishes at once sends both
    # signals in one transaction, and enqueue() keeps one of identical jobs.
    _enqueue(search_jobs.index_idea, idea_id)


@signals.idea_merged.connect
@signals.idea_unmerged.connect
def _idea_merged(sender, source_id, target_id, **extra):
    # The source changed status and the target gained (or lost) supporters.
    _enqueue(search_jobs.index_idea, source_id)
    _enqueue(search_jobs.index_documents, f"idea:{target_id}")
    return []  # no member's support moved here


@signals.comment_posted.connect
@signals.comment_edited.connect
@signals.comment_status_changed.connect
def _comment_changed(sender, comment_id, **extra):
    _enqueue(search_jobs.index_documents, f"comment:{comment_id}")
