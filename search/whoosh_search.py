"""Searching a whoosh index: queries, filters, counts and facets, highlights.

The index itself (generations on disk, the lock, writes and rebuilds) is
search.whoosh_index; this module reads it.
"""
import threading
import time
from collections import Counter
from pathlib import Path

from markupsafe import Markup, escape
from whoosh import collectors, highlight, index, sorting
from whoosh.query import And, AndMaybe, AndNot, Every, NullQuery, Or, Phrase, Term

from search import syntax
from search.engine import FACETS, Hits, IndexUnavailable, SearchBackend
from search.schema import ANALYZER, WORDS, make_schema
from search.whoosh_index import IndexDirectory

FACET_FIELDS = {"kind": "kind", "challenge": "challenge", "status": "status", "tags": "tagset"}


class _Formatter(highlight.Formatter):
    """Escaped text with <mark> around matches: user text never becomes markup."""

    between = " … "

    def _text(self, text):
        return str(escape(text))

    def format_token(self, text, token, replace=False):
        return f"<mark>{escape(highlight.get_text(text, token, replace))}</mark>"


class WhooshBackend(IndexDirectory, SearchBackend):
    """A whoosh index in a local directory: written as IndexDirectory says, searched here."""

    def __init__(self, root):
        self.root = Path(root)
        self.schema = make_schema()
        self._local = threading.local()
        self._segments = {}  # per-segment filters and columns, shared by threads

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

