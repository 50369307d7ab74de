"""The search engine behind a small interface.

Pages and services speak to `SearchBackend` only: documents in, ranked
keys and facet counts out. `WhooshBackend` keeps a whoosh index on the
local disk; a multi-host deployment can put a server-side engine behind
the same methods without touching the pages.

On disk, SEARCH_INDEX_DIR holds generations of the index and a symlink
`current` naming the live one. A rebuild writes a new generation while
searches keep reading the old one, then swaps the symlink atomically.
Writes take an exclusive file lock, so there is one writer at a time
across threads and processes and whoosh never raises LockError.
"""
import fcntl
import os
import shutil
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from markupsafe import Markup, escape
from whoosh import collectors, highlight, index, sorting
from whoosh.query import And, AndMaybe, AndNot, Every, NullQuery, Or, Phrase, Term

from search import syntax
from search.schema import ANALYZER, WORDS, document_key, make_schema


def _cache_missing_length_columns():
    """whoosh looks for a field-length column on disk (a stat call) for every posting of a field that
    has none (ids, keywords, numbers), on each merge and commit: 7 stat calls per document, two thirds
    of a rebuild's time. Remember that the column is missing, as whoosh remembers those it finds."""
    from whoosh.codec import whoosh3

    original = whoosh3.W3PerDocReader._cached_reader
    if getattr(original, "_kindling", False):
        return

    def _cached_reader(self, fieldname, column):
        missing = self.__dict__.setdefault("_kindling_missing", set())
        if fieldname in missing:
            return None
        reader = original(self, fieldname, column)
        if reader is None:
            missing.add(fieldname)
        return reader

    _cached_reader._kindling = True
    whoosh3.W3PerDocReader._cached_reader = _cached_reader


_cache_missing_length_columns()

FACETS = ("kind", "challenge", "status", "tags")
FACET_FIELDS = {"kind": "kind", "challenge": "challenge", "status": "status", "tags": "tagset"}
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


class _Formatter(highlight.Formatter):
    """Escaped text with <mark> around matches: user text never becomes markup."""

    between = " … "

    def _text(self, text):
        return str(escape(text))

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


def _epoch(moment):
    return int(moment.timestamp()) if moment else 0


class WhooshBackend(SearchBackend):
    CURRENT = "current"
    LOCK = "write.lock"
    MARKER = "rebuilding"
    REPLAY = "rebuild.log"
    STALE_MARKER = 3600  # seconds: a rebuild that died long ago no longer counts

    def __init__(self, root):
        self.root = Path(root)
        self.schema = make_schema()
        self._local = threading.local()
        self._segments = {}  # per-segment filters and columns, shared by threads

    # Reading

    def _current_dir(self):
        link = self.root / self.CURRENT
        target = os.path.realpath(link)
        if not os.path.isdir(target):
            raise IndexUnavailable(f"no index at {link}")
        return target

    def _searcher(self):
        """A searcher for this thread, reopened when the index changed or was swapped."""
        target = self._current_dir()
        cached = getattr(self._local, "cached", None)
        try:
            if cached is not None:
                if cached[0] == target and cached[1].up_to_date():
                    return cached[1]
                cached[1].close()
            # Not Searcher.refresh(): it fails on an index that was empty, and the
            # segment readers it reuses can miss deletions made since.
            searcher = index.open_dir(target, schema=self.schema).searcher()
        except Exception as error:  # an unreadable index is the same trouble as a missing one
            self._local.cached = None
            raise IndexUnavailable(str(error)) from error
        self._local.cached = (target, searcher)
        return searcher

    def available(self):
        try:
            self._searcher()
        except IndexUnavailable:
            return False
        return True

    @staticmethod
    def _terms(text):
        return [token.text for token in ANALYZER(text)]

    def _clause(self, clause, fieldname="body"):
        terms = self._terms(clause.text)
        if not terms:
            return None  # only stop words or punctuation
        if len(terms) == 1:
            return Term(fieldname, terms[0])
        if clause.phrase:
            return Phrase(fieldname, terms)
        # One typed word the analyser splits ("status:hidden"): its words, anywhere.
        return And([Term(fieldname, t) for t in terms])

    def _query(self, text):
        """(matching query, ranking query, analysed positive terms), from search.syntax.

        Matching runs on `body` alone, which also holds the title and tags: one
        posting list per word, intersected, instead of a union over three fields
        per word. Title words then add to the score."""
        required, excluded, terms, title_words = [], [], set(), set()
        for group in syntax.parse(text):
            alternatives = [q for q in (self._clause(c) for c in group) if q is not None]
            if not alternatives:
                continue
            if group[0].negated:
                excluded.extend(alternatives)
                continue
            required.append(alternatives[0] if len(alternatives) == 1 else Or(alternatives))
            for clause in group:
                terms.update(self._terms(clause.text))
                title_words.update(token.text for token in WORDS(clause.text))
        if not required:
            # Nothing but stop words matches nothing; only exclusions match the rest.
            return (NullQuery, NullQuery, frozenset()) if not excluded else (
                AndNot(Every(), Or(excluded)),) * 2 + (frozenset(),)
        words = required[0] if len(required) == 1 else And(required)
        if excluded:
            words = AndNot(words, Or(excluded))
        titles = Or([Term("title", t) for t in sorted(title_words)])
        return words, AndMaybe(words, titles), frozenset(terms)

    def _visibility(self, private_challenges):
        if private_challenges is None:
            return None
        public = Term("public", "1")
        if not private_challenges:
            return public
        return Or([public, *(Term("challenge", str(c)) for c in sorted(private_challenges))])

    # Per-segment caches. A segment never changes once written (deletions are
    # applied by the matchers), so what is derived from it holds until a merge
    # or a rebuild retires it, across searcher reopens and index writes.

    def _segment_key(self, subsearcher, *rest):
        segment = subsearcher.reader().segment()
        return (segment.segment_id() if segment is not None else id(subsearcher.reader()), *rest)

    def _remember(self, key, compute):
        cache = self._segments
        value = cache.get(key)
        if value is None:
            value = compute()
            if len(cache) > 512:  # retired segments' entries go, a few at a time
                cache.clear()
            cache[key] = value
        return value

    def _allowed_in(self, conditions):
        """subsearcher -> the set of its document numbers passing `conditions` (None: all)."""
        if not conditions:
            return lambda subsearcher: None
        condition = And(conditions)

        def allowed(subsearcher):
            key = self._segment_key(subsearcher, "filter", repr(condition))
            return self._remember(key, lambda: frozenset(
                condition.matcher(subsearcher, subsearcher.boolean_context()).all_ids()))
        return allowed

    def _values(self, subsearcher, fieldname):
        """Every document's raw value in a column of this segment, as a list."""
        def read():
            reader = subsearcher.reader()
            if not reader.has_column(fieldname):
                return [b""] * reader.doc_count_all()
            return list(reader.column_reader(fieldname, translate=False))
        return self._remember(self._segment_key(subsearcher, "column", fieldname), read)

    def _count(self, searcher, query, allowed_in, limit, deadline):
        """Matches and facet counts, unscored: all of them, or the first `limit`.

        Returns (total, facets, exact, timed_out). When counting stops early (at
        `limit` matches or the deadline) it still looks for one more allowed
        match, so "more than total" is true; `exact` says whether it stopped."""
        kinds, challenges, statuses, tags = Counter(), Counter(), Counter(), Counter()
        total, counting, more, timed_out = 0, True, False, False
        for subsearcher, _offset in searcher.leaf_searchers():
            allowed = allowed_in(subsearcher)
            kind, challenge, status, tagset = (self._values(subsearcher, FACET_FIELDS[name]) for name in FACETS)
            matcher = query.matcher(subsearcher, subsearcher.boolean_context())
            for n, docnum in enumerate(matcher.all_ids()):
                if counting and total and n % 64 == 0 and time.thread_time() > deadline:
                    counting, timed_out = False, True
                if allowed is not None and docnum not in allowed:
                    continue
                if not counting or total >= limit:
                    more = True  # one match beyond those counted: "more than total" holds
                    break
                total += 1
                kinds[kind[docnum]] += 1
                challenges[challenge[docnum]] += 1
                statuses[status[docnum]] += 1
                if tagset[docnum]:
                    tags.update(tagset[docnum])
            if more:
                break
        facets = {}
        for name, counter in zip(FACETS, (kinds, challenges, statuses, tags), strict=True):
            values = ((v.decode(), n) for v, n in counter.items() if v)
            facets[name] = sorted(values, key=lambda item: (-item[1], item[0]))
        return total, facets, not more, timed_out and more

    def search(self, request):
        searcher = self._searcher()
        text = request.text.strip()
        words, ranked, terms = self._query(text) if text else (Every(), Every(), frozenset())
        conditions = [Term(name if name != "tag" else "tags", str(value))
                      for name, value in sorted(request.filters.items()) if value]
        visibility = self._visibility(request.private_challenges)
        if visibility is not None:
            conditions.append(visibility)
        allowed_in = self._allowed_in(conditions)
        sortedby = {
            "supporters": sorting.FieldFacet("supporters", reverse=True),
            "newest": sorting.FieldFacet("published", reverse=True),
        }.get(request.sort)
        # The time limit counts this thread's CPU time, not the clock's: on a busy machine
        # the same search must give the same total.
        deadline = time.thread_time() + request.time_limit
        # The page of results always runs to the end, so the ranking never depends
        # on the time limit; a top-N collector skips blocks of postings that cannot
        # make the cut, which keeps common words fast.
        top = searcher.collector(limit=request.offset + request.limit, sortedby=sortedby)
        results = self._collect(searcher, ranked, top, allowed_in)
        # The total and the facets: up to count_limit matches, unscored, in the time left.
        total, facets, exact, timed_out = self._count(searcher, words, allowed_in, request.count_limit, deadline)
        keys = []
        for hit in results[request.offset:request.offset + request.limit]:
            kind, _, pk = hit["key"].partition(":")
            keys.append((kind, int(pk)))
        if not exact:
            # More than `total` were counted; the page proves at least as many as it holds.
            total = max(total, results.scored_length() - 1)
        hits = Hits(keys, total, facets, terms, timed_out, exact=exact, query=text)
        if request.suggest and text and exact and total < 3:
            hits.suggestion = self._suggest(searcher, text, allowed_in)
        return hits

    @staticmethod
    def _collect(searcher, query, collector, allowed_in, deadline=None):
        """Run a collector over the allowed documents (until the deadline, if any)."""
        limited = _FilterUntil(collector, allowed_in, deadline)
        searcher.search_with_collector(query, limited)
        return limited.results()

    def _suggest(self, searcher, text, allowed_in):
        """The query with unknown words replaced by the closest title words, if that finds something."""
        # Suggestions are whole title words (kept unstemmed for this), not stems.
        corrector = searcher.corrector("title")
        reader = searcher.reader()
        changed, pieces, at = False, [], 0
        for group in syntax.parse(text):
            for clause in group:
                if clause.phrase or clause.negated or not clause.text.isalpha():
                    continue
                terms = self._terms(clause.text)
                if not terms or reader.doc_frequency("body", terms[0]):
                    continue
                options = corrector.suggest(clause.text.lower(), limit=1, prefix=1)
                if options and options[0] != clause.text.lower():
                    pieces += [text[at:clause.start], options[0]]
                    at, changed = clause.end, True
        if not changed:
            return None
        corrected = "".join(pieces) + text[at:]
        # Offered only when it finds something this viewer may see: a word
        # from a hidden idea must not leak through "did you mean".
        words, _, _ = self._query(corrected)
        found = self._collect(searcher, words, searcher.collector(limit=1), allowed_in)
        return corrected if found.scored_length() else None

    def similar(self, text, title, *, kind, challenge_id, exclude_pk=None, limit=5, time_limit=0.25):
        searcher = self._searcher()
        clauses = []
        for fieldname, source, weight in (("title", title, 2.0), ("body", f"{title}\n{text}", 1.0)):
            if source.strip():
                for term, score in searcher.key_terms_from_text(fieldname, source, numterms=12):
                    clauses.append(Term(fieldname, term, boost=weight * score))
        if not clauses:
            return []
        conditions = [Term("kind", kind), Term("challenge", str(challenge_id)), Term("public", "1")]
        top = searcher.collector(limit=limit + 1)
        results = self._collect(searcher, Or(clauses), top, self._allowed_in(conditions),
                                time.perf_counter() + time_limit)
        return [hit["pk"] for hit in results if hit["pk"] != exclude_pk][:limit]

    def highlight(self, text, terms, length=240, whole=False):
        if not text:
            return Markup("")
        whole = whole or len(text) <= length
        if terms:
            fragmenter = (highlight.WholeFragmenter() if whole
                          else highlight.ContextFragmenter(maxchars=length, surround=60))
            marked = highlight.highlight(text, terms, ANALYZER, fragmenter, _Formatter(), top=2)
            if marked:
                return Markup(marked)
        short = text if whole or len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
        return escape(short)

    # Writing

    @contextmanager
    def _lock(self):
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / self.LOCK, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _fields(self, document):
        return {
            "key": document.key,
            "kind": document.kind,
            "pk": document.pk,
            "title": document.title or "",
            "body": "\n".join((document.title or "", document.body or "", ", ".join(document.tags))),
            "tags": ",".join(document.tags),
            "tagset": [t.encode() for t in document.tags],
            "status": document.status,
            "challenge": str(document.challenge_id or ""),
            "public": "1" if document.public else "0",
            "supporters": document.supporters or 0,
            "published": _epoch(document.published),
        }

    def rebuilding(self):
        """Whether a rebuild is under way (its process alive, and not started hours ago)."""
        marker = self.root / self.MARKER
        try:
            if time.time() - marker.stat().st_mtime > self.STALE_MARKER:
                return False
            pid = int(marker.read_text() or 0)
        except (FileNotFoundError, ValueError):
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False  # the rebuild died; a new one may start
        except PermissionError:
            pass
        return True

    @contextmanager
    def writer(self):
        with self._lock():
            ix = index.open_dir(self._current_dir(), schema=self.schema)
            batch = _Batch(ix.writer(), self._fields)
            try:
                yield batch
            except BaseException:
                batch.writer.cancel()
                raise
            batch.writer.commit()
            if batch.touched and self.rebuilding():
                with open(self.root / self.REPLAY, "a") as log:
                    log.writelines(f"{key}\n" for key in batch.touched)

    def rebuild(self, documents, reload, progress=None, procs=1, limitmb=256):
        """`procs` > 1 analyses documents in that many processes (whoosh's MpWriter), each writing
        a segment of its own; the segments are kept as they are (merging them would cost as much
        again) and later incremental writes merge small segments as usual."""
        with self._lock():
            (self.root / self.MARKER).write_text(str(os.getpid()))
            (self.root / self.REPLAY).write_text("")
            previous = self._live_generation()
        generation, writer = self.root / f"gen-{time.time_ns()}", None
        try:
            generation.mkdir(parents=True)
            ix = index.create_in(generation, self.schema)
            if procs > 1:
                writer = ix.writer(procs=procs, limitmb=limitmb // procs, multisegment=True, batchsize=256)
            else:
                writer = ix.writer(limitmb=limitmb)
            for document in documents:
                writer.add_document(**self._fields(document))
                if progress:
                    progress(1)
            writer, committing = None, writer
            committing.commit(optimize=procs == 1)
            with self._lock():
                replay = set((self.root / self.REPLAY).read_text().split())
                if replay:
                    batch = _Batch(ix.writer(), self._fields)
                    batch.delete(replay)
                    batch.update(reload(sorted(replay)))
                    batch.writer.commit()
                self._switch(generation)
                (self.root / self.MARKER).unlink(missing_ok=True)
                (self.root / self.REPLAY).unlink(missing_ok=True)
        except BaseException:
            # The live index was never touched: only this unfinished generation goes.
            if writer is not None:
                writer.cancel()  # closes its files (and stops its processes)
            shutil.rmtree(generation, ignore_errors=True)
            (self.root / self.MARKER).unlink(missing_ok=True)
            raise
        self._prune(keep={generation, previous})
        return generation

    def _live_generation(self):
        link = self.root / self.CURRENT
        return Path(os.path.realpath(link)) if link.is_symlink() else None

    def _switch(self, generation):
        staging = self.root / f"{self.CURRENT}.{os.getpid()}.tmp"
        staging.unlink(missing_ok=True)
        staging.symlink_to(generation.name)
        os.replace(staging, self.root / self.CURRENT)  # rename(2): readers see old or new, never neither

    def _prune(self, keep):
        """Delete generations older than the new one, except the one it replaced (searchers
        may still read it). What a killed rebuild left goes too; a newer directory may be
        another rebuild at work, and stays."""
        newest = max(p.name for p in keep if p is not None)
        for old in self.root.glob("gen-*"):
            if old not in keep and old.name < newest:
                shutil.rmtree(old, ignore_errors=True)


class _FilterUntil(collectors.FilterCollector):
    """Keeps only allowed documents, and stops collecting at a deadline.

    whoosh's TimeLimitCollector cannot wrap a FilterCollector (it would call
    past the filter), and its SIGALRM cannot be set in a web worker thread;
    this checks the clock itself every few documents. The allowed documents
    come per segment, from a cache that survives index writes.
    """

    CHECK_EVERY = 64

    def __init__(self, child, allowed_in, deadline):
        super().__init__(child)
        self.allowed_in = allowed_in
        self.allowed = None  # None: everything; an empty set allows nothing
        self.deadline = deadline
        self.timed_out = False

    def set_subsearcher(self, subsearcher, offset):
        super().set_subsearcher(subsearcher, offset)
        self.allowed = self.allowed_in(subsearcher)

    def collect_matches(self):
        child, allowed = self.child, self.allowed
        for n, docnum in enumerate(child.matches()):
            if self.deadline is not None and n % self.CHECK_EVERY == 0 and time.perf_counter() > self.deadline:
                self.timed_out = True
                return
            if allowed is None or docnum in allowed:
                child.collect(docnum)


class _Batch:
    def __init__(self, writer, to_fields):
        self.writer = writer
        self._to_fields = to_fields
        self.touched = set()

    def update(self, documents):
        for document in documents:
            self.writer.update_document(**self._to_fields(document))
            self.touched.add(document.key)

    def delete(self, keys):
        for key in keys:
            self.writer.delete_by_term("key", key)
            self.touched.add(key)


_backends = {}
_backends_lock = threading.Lock()


def backend_for(root):
    """One backend object per index directory and process (it caches searchers)."""
    root = str(root)
    with _backends_lock:
        if root not in _backends:
            _backends[root] = WhooshBackend(root)
        return _backends[root]
