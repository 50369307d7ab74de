"""Index writes, run on the "search" queue after the change committed.

Every job takes ids, reads the rows as they are now and writes what it
finds, so running one twice, or late, leaves the same index.
"""
from app.jobs import reads_only
from search import services


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
    if not engine.available() and not engine.rebuilding():
        services.rebuild()
