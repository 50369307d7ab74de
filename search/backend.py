"""What the rest of Kindling imports from search: the engine interface and the whoosh engine.

The interface (`SearchBackend`, `Document`, `SearchRequest`, `Hits`) is
search.engine; the whoosh backend is split into its index on disk
(search.whoosh_index: generations, lock, writes, rebuilds) and its
searching (search.whoosh_search).
"""
import threading

from search.engine import FACETS, SORTS, Document, Hits, IndexUnavailable, SearchBackend, SearchRequest
from search.whoosh_search import WhooshBackend

__all__ = ["FACETS", "SORTS", "Document", "Hits", "IndexUnavailable", "SearchBackend", "SearchRequest",
           "WhooshBackend", "backend_for"]

_backends = {}
_backends_lock = threading.Lock()


def backend_for(root):
    """One backend object per index directory and process (it caches searchers)."""
    root = str(root)
    with _backends_lock:
        if root not in _backends:
            _backends[root] = WhooshBackend(root)
        return _backends[root]
