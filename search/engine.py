"""The search engine behind a small interface.

Pages and services speak to `SearchBackend` only: documents in, ranked
keys and facet counts out. `search.whoosh_search.WhooshBackend` keeps a
whoosh index on the local disk; `search.postgres.PostgresBackend` asks
PostgreSQL. `search.backend` gathers what the rest of Kindling imports.
"""
from abc import ABC, abstractmethod
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from search.schema import document_key

FACETS = ("kind", "challenge", "status", "tags")
SORTS = ("relevance", "supporters", "newest")


class IndexUnavailable(Exception):
    """The index is missing or cannot be read; a rebuild is needed."""


@dataclass
class Document:
    kind: str
    pk: int
    title: str
    body: str
    status: str
    challenge_id: int | None
    public: bool
    tags: list = field(default_factory=list)
    supporters: int = 0
    published: datetime | None = None

    @property
    def key(self):
        return document_key(self.kind, self.pk)


@dataclass
class SearchRequest:
    text: str
    filters: dict = field(default_factory=dict)  # facet name -> value
    # None: everything; otherwise public documents plus those of these challenges.
    private_challenges: frozenset | None = frozenset()
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    time_limit: float = 0.25
    suggest: bool = True
    # Matches counted (with the facets) before the total is shown as "more than N".
    count_limit: int = 1_000


@dataclass
class Hits:
    keys: list  # [(kind, pk)] best first
    total: int  # exact, or when `exact` is false: there are more matches than this
    facets: dict  # name -> [(value, count)] most frequent first (of the matches counted)
    terms: frozenset  # the analysed query terms, for highlighting
    timed_out: bool = False  # counting stopped at the time limit (the page itself is complete)
    suggestion: str | None = None
    exact: bool = True
    query: str = ""  # the text searched, for backends that highlight from it


class SearchBackend(ABC):
    """What the rest of Kindling may ask of a search engine."""

    keeps_index = True  # False: the engine reads the database itself, and index writes are skipped

    @abstractmethod
    def available(self) -> bool:
        ...

    @abstractmethod
    def rebuilding(self) -> bool:
        ...

    @abstractmethod
    def search(self, request: SearchRequest) -> Hits:
        ...

    @abstractmethod
    def similar(self, text: str, title: str, *, kind: str, challenge_id: int, exclude_pk=None, limit=5) -> list:
        """Primary keys of public documents of one kind and challenge, most alike first."""
        ...

    @abstractmethod
    @contextmanager
    def writer(self):
        """Yields an object with update(documents) and delete(keys); one writer at a time."""
        ...

    @abstractmethod
    def rebuild(self, documents: Iterable, reload, progress=None, **options):
        """Index `documents` into a fresh index and switch to it when complete.

        Changes written while the rebuild runs are replayed on the new index
        by calling reload(keys) -> documents, so nothing is lost in the swap.
        """
        ...

    @abstractmethod
    def highlight(self, text: str, terms: frozenset, length=240, whole=False) -> Markup:
        """Escaped text with the matched words in <mark>; `whole` keeps all of a short text."""
        ...

    def highlight_many(self, items, hits):
        """[(text, length, whole)] -> [Markup], for the results shown (and only those)."""
        return [self.highlight(text, hits.terms, length, whole) for text, length, whole in items]

