"""Index writes, run on the "search" queue after the change committed.

Every job takes ids, reads the rows as they are now and writes what it
finds, so running one twice, or late, leaves the same index.
"""
import threading

from app.jobs import reads_only
from search import services

# One rebuild at a time in this process: the rebuild's marker file is written once it has started, so
# threads that ask together (inline jobs after a burst of writes) would all find none and all rebuild,
# each pruning the others' unfinished generations from under their writers.
_rebuilding_here = threading.Lock()


@reads_only
def index_documents(*keys):
    """Reindex documents named by key ("idea:42"); a key whose row is gone is removed."""
    services.reindex(keys)


@reads_only
def index_idea(idea_id):
    """An idea and its comments: whether a comment shows depends on its idea."""
    services.reindex(services.idea_family_keys(idea_id))


@reads_only
def index_challenge(challenge_id):
    services.reindex([f"challenge:{challenge_id}"])


@reads_only
def index_challenge_content(challenge_id):
    """A challenge with all its ideas and comments (published from draft, or back)."""
    services.reindex(services.challenge_family_keys(challenge_id))


@reads_only
def rebuild_index():
    services.rebuild()


@reads_only
def ensure_index():
    """Rebuild only when the index is missing or unreadable and no rebuild is under way:
    the search page asks on every visit while the index is gone, and that must cost nothing."""
    engine = services.backend()
    if engine.available() or engine.rebuilding() or not _rebuilding_here.acquire(blocking=False):
        return
    try:
        if not engine.available():  # another thread may have finished one meanwhile
            services.rebuild()
    finally:
        _rebuilding_here.release()
