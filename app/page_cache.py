"""A visitor's public pages, kept for a few seconds and only while the database has not changed (issue 13).

Every visitor who is not logged in sees the same challenge list and idea
page for the same address, so each web process keeps the pages it rendered
for them and answers the next visitor from memory. A kept page is served
only while both hold:

- **nothing was committed since it was rendered.** The key holds the
  database's content version, read before the page's data: on SQLite,
  `PRAGMA data_version` on a connection of this process that never writes
  (it changes whenever any other connection, in any process, commits); on
  PostgreSQL, the text of `pg_current_snapshot()`, which names exactly which
  transactions a reader sees, so it changes whenever any write commits. A
  moderator hiding an idea, a support, a comment, a renamed member: the next
  visitor's page is rendered afresh. A page rendered while a write committed
  holds data at least as new as its key, never older.
- **it is younger than `VISITOR_PAGE_CACHE_SECONDS`** (60 by default; 0 turns
  the cache off), for what moves with the clock alone: a challenge that opens
  at the start of a day, a visitor's random order that starts afresh every
  ten minutes. Pages show dates, not seconds.

Members, visitors with anything in their session (a flash message, a form
token), other methods than GET, and answers other than 200 or that set a
cookie are never kept. The key also holds a digest of the view, host, full
path with its query, the request's cookies and the htmx headers the views
read, so a fragment and a page, or two time zones, never share a copy. The
cache is per process, bounded (pages and bytes), and emptied when the
version moves on; a page rendered from a version that was overtaken while it
rendered is not kept. The Brotli or gzip copy of a kept page is stored with
that page (Flask-Compress's cache) and dies with it, so a page served from
memory is not compressed again and a copy never outlives its page.

PostgreSQL's snapshot is the whole server's: writes to other databases on the
same server empty the cache too (correct, only less often served). Before
PostgreSQL 13 the same value is `txid_current_snapshot()`.
"""
import hashlib
import os
import threading
import time
import weakref
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db

MAX_PAGES = 256
MAX_PAGE_BYTES = 512 * 1024
MAX_BYTES = 32 * 1024 * 1024  # all kept pages of one process, with their compressed copies
# The htmx headers the kept views read (flask-htmx's `htmx`, `hx_target()`); others, such as
# HX-Current-URL, do not change the answer and would only split the cache.
HTMX_HEADERS = ("HX-Request", "HX-Target", "HX-Boosted", "HX-History-Restore-Request", "HX-Trigger",
                "HX-Trigger-Name")
_EXTENSION = "kindling.page_cache"


def configure_page_cache(app):
    app.config.setdefault("VISITOR_PAGE_CACHE_SECONDS", 60)
    app.extensions[_EXTENSION] = PageCache()


def visitor_cached(view):
    """Serve a visitor's GET of this view from the process's page cache while the data and the clock allow."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        lifetime = current_app.config.get("VISITOR_PAGE_CACHE_SECONDS", 0)
        # The session first: a member's is never empty, and asking it costs no query (the member is loaded
        # later with what the page reads anyway).
        if lifetime <= 0 or request.method != "GET" or session or current_user.is_authenticated:
            return view(*args, **kwargs)
        cache = current_app.extensions[_EXTENSION]
        version = cache.content_version()
        if version is None:
            return view(*args, **kwargs)
        key = (version, _request_digest())
        kept = cache.get(key, lifetime)
        if kept is not None:
            g.kept_page = kept
            return current_app.response_class(kept.body, headers=kept.headers)
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and not response.is_streamed and not session
                and "Set-Cookie" not in response.headers):
            body = response.get_data()
            if len(body) <= MAX_PAGE_BYTES:
                g.kept_page = cache.put(key, KeptPage(list(response.headers.items()), body))
        return response

    return cached_view


def _request_digest():
    """What the answer depends on besides the data: the view, host, path and query, cookies, htmx headers."""
    parts = [request.endpoint or "", request.host, request.full_path, request.headers.get("Cookie", "")]
    parts += [request.headers.get(name, "") for name in HTMX_HEADERS]
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogateescape"), digest_size=16).digest()


class KeptPage:
    """One page (a 200) as its view answered it, and the Brotli/gzip copies made of it since (they die with it)."""

    __slots__ = ("headers", "body", "stored_at", "copies", "size", "kept")

    def __init__(self, headers, body):
        self.headers, self.body = headers, body
        self.stored_at = time.monotonic()
        self.copies = {}
        self.size = len(body)
        self.kept = True


class PageCache:
    """Pages by (content version, request digest), for one process; only the newest version's pages are kept."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pages = OrderedDict()
        self._bytes = 0
        self._version = None  # the newest content version read in this process
        self._pid = None
        self._watcher = None

    def get(self, key, lifetime):
        with self._lock:
            if key[0] != self._version:
                return None
            page = self._pages.get(key)
            if page is None:
                return None
            if time.monotonic() - page.stored_at > lifetime:
                self._forget(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key, page):
        """Keep `page` unless the data moved on while it was rendered; returns it when kept."""
        with self._lock:
            if key[0] != self._version:
                return None
            self._forget(key)
            self._pages[key] = page
            self._bytes += page.size
            self._trim()
            return page if key in self._pages else None

    def add_copy(self, page, encoding, data):
        with self._lock:
            if page.kept and encoding not in page.copies:
                page.copies[encoding] = data
                page.size += len(data)
                self._bytes += len(data)
                self._trim()

    def _trim(self):
        while len(self._pages) > MAX_PAGES or self._bytes > MAX_BYTES:
            self._forget(next(iter(self._pages)))

    def _forget(self, key):
        page = self._pages.pop(key, None)
        if page is not None:
            page.kept = False
            self._bytes -= page.size

    def __len__(self):
        return len(self._pages)

    def content_version(self):
        """A value that changes whenever a write commits; None where it cannot be known (no caching).

        Reading it makes it the newest: pages of any other version are dropped, and a page rendered
        from an older one (a slow render overtaken by a write) is not kept."""
        engine = db.engine
        if engine.dialect.name == "postgresql":
            # pg_current_snapshot() is PostgreSQL 13's name for txid_current_snapshot().
            modern = (engine.dialect.server_version_info or (0,)) >= (13,)
            version = db.session.execute(_SNAPSHOT if modern else _OLD_SNAPSHOT).scalar()
        elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            version = self._sqlite_data_version(engine)
        else:
            return None
        self.moved_to(version)
        return version

    def moved_to(self, version):
        """The data is now at `version`: pages of any other are out of date."""
        with self._lock:
            if version != self._version:
                for key in list(self._pages):
                    self._forget(key)
                self._version = version

    def _sqlite_data_version(self, engine):
        with self._lock:
            if self._pid != os.getpid():  # a forked worker opens its own watcher and starts empty
                if self._watcher is not None:
                    self._watcher.close()
                self._pid, self._pages, self._version, self._bytes = os.getpid(), OrderedDict(), None, 0
                # A connection of the engine's own making (same file, same options), out of its pool. It
                # never writes, so it sees every commit as another connection's; the version is its own
                # count, so the pair (connection, count) is what compares.
                pooled = engine.raw_connection()
                pooled.detach()
                self._watcher = pooled.dbapi_connection
                weakref.finalize(self, self._watcher.close)
            return id(self._watcher), self._watcher.execute("PRAGMA data_version").fetchone()[0]


_SNAPSHOT = text("SELECT pg_current_snapshot()::text")
_OLD_SNAPSHOT = text("SELECT txid_current_snapshot()::text")


class CompressedPages:
    """Flask-Compress's cache backend: the Brotli or gzip copy of the page kept for this request, stored
    with that page (and gone with it), so that serving it from memory does not compress it again (0.4 ms
    of a 0.8 ms answer). Answers that are not kept pages are compressed every time."""

    def get(self, key):
        page = g.get("kept_page")
        return None if page is None else page.copies.get(key.partition(";")[0])

    def set(self, key, value):
        page = g.get("kept_page")
        if page is not None:
            current_app.extensions[_EXTENSION].add_copy(page, key.partition(";")[0], value)


def compressed_page_key(request):
    """Flask-Compress asks for a key; the copy is found through the request's kept page instead."""
    return ""
