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
token), other methods than GET, and answers other than 200 are never kept.
The key also holds the host, the full path with its query, every `HX-*`
header and the request's cookies, so a fragment and a page, or two time
zones, never share a copy. The cache is per process, bounded, and emptied
when the version moves on. The Brotli or gzip copy of a kept page is kept
beside it under the same key (Flask-Compress's cache), so a page served from
memory is not compressed again.
"""
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, make_response, request, session
from flask_login import current_user
from sqlalchemy import text

from app.extensions import db

MAX_PAGES = 256
MAX_PAGE_BYTES = 512 * 1024
MAX_BYTES = 32 * 1024 * 1024  # all kept pages of one process
_EXTENSION = "kindling.page_cache"


def configure_page_cache(app):
    app.config.setdefault("VISITOR_PAGE_CACHE_SECONDS", 60)
    app.extensions[_EXTENSION] = PageCache()


def visitor_cached(view):
    """Serve a visitor's GET of this view from the process's page cache while the data and the clock allow."""

    @wraps(view)
    def cached_view(*args, **kwargs):
        lifetime = current_app.config.get("VISITOR_PAGE_CACHE_SECONDS", 0)
        if lifetime <= 0 or request.method != "GET" or current_user.is_authenticated or session:
            return view(*args, **kwargs)
        cache = current_app.extensions[_EXTENSION]
        version = cache.content_version()
        if version is None:
            return view(*args, **kwargs)
        key = (version, request.endpoint, request.host, request.full_path, request.headers.get("Cookie"),
               tuple(sorted((name, value) for name, value in request.headers.items()
                            if name.lower().startswith("hx-"))))
        kept = cache.get(key, lifetime)
        if kept is not None:
            status, headers, body = kept
            g.kept_page_key = key
            return current_app.response_class(body, status=status, headers=headers)
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and not response.is_streamed and not session
                and "Set-Cookie" not in response.headers):
            body = response.get_data()
            if len(body) <= MAX_PAGE_BYTES:
                cache.put(key, (response.status_code, list(response.headers.items()), body))
                g.kept_page_key = key
        return response

    return cached_view


class PageCache:
    """Pages by key, for one process; every key starts with the content version it was rendered at."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pages = OrderedDict()
        self._bytes = 0
        self._version = None
        self._pid = None
        self._watcher = None

    def get(self, key, lifetime):
        with self._lock:
            if key[0] != self._version:
                return None
            entry = self._pages.get(key)
            if entry is None:
                return None
            if time.monotonic() - entry[0] > lifetime:
                self._forget(key)
                return None
            self._pages.move_to_end(key)
            return entry[1]

    def put(self, key, page):
        with self._lock:
            if key[0] != self._version:  # the data moved on: what is kept is out of date
                self._pages.clear()
                self._version, self._bytes = key[0], 0
            self._forget(key)
            self._pages[key] = (time.monotonic(), page)
            self._bytes += len(page[2])
            while len(self._pages) > MAX_PAGES or self._bytes > MAX_BYTES:
                self._forget(next(iter(self._pages)))

    def _forget(self, key):
        entry = self._pages.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1][2])

    def __len__(self):
        return len(self._pages)

    def content_version(self):
        """A value that changes whenever a write commits; None where it cannot be known (no caching)."""
        engine = db.engine
        if engine.dialect.name == "postgresql":
            return db.session.execute(_SNAPSHOT).scalar()
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            return self._sqlite_data_version(engine.url.database)
        return None

    def _sqlite_data_version(self, path):
        with self._lock:
            if self._pid != os.getpid():  # a forked worker opens its own watcher and starts empty
                self._pid, self._pages, self._version, self._bytes = os.getpid(), OrderedDict(), None, 0
                # Never writes, so it sees every commit as another connection's; the version is its own
                # count, so the pair (connection, count) is what compares.
                self._watcher = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            return id(self._watcher), self._watcher.execute("PRAGMA data_version").fetchone()[0]


_SNAPSHOT = text("SELECT pg_current_snapshot()::text")
_NOT_KEPT = "-"


def compressed_page_key(request):
    """Flask-Compress's cache key: a kept page's own key (its content version included), else "not kept"."""
    key = g.get("kept_page_key")
    return _NOT_KEPT if key is None else f"{id(current_app.extensions[_EXTENSION])}:{key!r}"


class CompressedPages:
    """Flask-Compress's cache backend: the Brotli or gzip copy of each kept page, so that serving one
    from memory does not compress it again (0.4 ms of a 0.8 ms answer). Anything else is not kept."""

    def __init__(self):
        self._lock = threading.Lock()
        self._copies = OrderedDict()

    def get(self, key):
        with self._lock:
            return self._copies.get(key)

    def set(self, key, value):
        if key.endswith(f";{_NOT_KEPT}"):
            return
        with self._lock:
            self._copies[key] = value
            self._copies.move_to_end(key)
            while len(self._copies) > 2 * MAX_PAGES:
                self._copies.popitem(last=False)
