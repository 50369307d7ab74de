"""What browsers and proxies may keep: validators on pages, fingerprinted static files, compression.

- A page answered to a visitor who is not logged in and has no session is
  public: `Cache-Control: public, no-cache` and an ETag, so a repeat visit or
  a shared proxy revalidates and gets 304 Not Modified when nothing changed.
  `Vary: Cookie` keeps a proxy from handing that copy to a member.
- Anything else (a member, a visitor with a flash message or a form token in
  their session) is `private, no-cache`: only the visitor's own browser keeps it.
- `url_for('static', …)` adds `v=<hash of the file>`; a request carrying the
  current hash is answered with a year-long `immutable` lifetime, so a new
  file gets a new URL and an old URL never serves stale content.
- HTML, CSS, JavaScript and JSON are compressed with Brotli or gzip by
  Flask-Compress when `COMPRESS_RESPONSES` is on (the default), or left to a
  reverse proxy when it is off (see the README).
"""
import hashlib
from pathlib import Path

from flask import request, session
from flask_compress import Compress
from flask_login import current_user

from app.page_cache import CompressedPages, compressed_page_key

ONE_YEAR = 365 * 24 * 60 * 60
compress = Compress()


def configure_http_caching(app):
    if app.config.get("COMPRESS_RESPONSES", True):
        app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
        # Flask-Compress's streaming path leaves the file open; static files are read whole instead (below).
        app.config.setdefault("COMPRESS_STREAMS", False)
        app.config.setdefault("COMPRESS_MIMETYPES", [
            "text/html", "text/css", "text/javascript", "application/javascript", "application/json",
            "image/svg+xml",
        ])
        # A visitor's page kept in memory keeps its compressed copy too (app/page_cache.py).
        app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedPages)
        app.config.setdefault("COMPRESS_CACHE_KEY", compressed_page_key)
        # Registered first so that it runs last: the ETag below is taken from the
        # uncompressed page, then Flask-Compress appends ":br"/":gzip" to it.
        compress.init_app(app)
    fingerprints = StaticFingerprints(Path(app.static_folder), check_changes=app.debug)

    @app.url_defaults
    def fingerprint_static_urls(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            fingerprint = fingerprints.get(values["filename"])
            if fingerprint:
                values["v"] = fingerprint

    @app.after_request
    def cache_headers(response):
        if request.method not in ("GET", "HEAD"):
            return response
        if request.endpoint == "static":
            if request.args.get("v") and request.args["v"] == fingerprints.get(request.view_args["filename"]):
                response.cache_control.public = True
                response.cache_control.max_age = ONE_YEAR
                response.cache_control.immutable = True
            if response.status_code == 200 and response.direct_passthrough and _accepts_compression():
                response.direct_passthrough = False
                response.make_sequence()  # the file is closed with the response
            return response
        if response.status_code != 200 or response.is_streamed or "Cache-Control" in response.headers:
            return response
        response.vary.add("Cookie")
        if session or current_user.is_authenticated:
            response.cache_control.private = True
        else:
            response.cache_control.public = True
        response.cache_control.no_cache = True
        response.add_etag()
        return response.make_conditional(request)


def _accepts_compression():
    accepted = request.headers.get("Accept-Encoding", "")
    return "br" in accepted or "gzip" in accepted


class StaticFingerprints:
    """A short hash of each static file's content, computed once per file."""

    def __init__(self, folder, check_changes=False):
        self.folder = folder.resolve()
        self.check_changes = check_changes
        self.known = {}

    def get(self, filename):
        entry = self.known.get(filename)
        if entry is not None and not self.check_changes:
            return entry[1]
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder):
            return None
        try:
            modified = path.stat().st_mtime_ns
        except OSError:
            return None
        if entry is None or entry[0] != modified:
            entry = (modified, hashlib.sha256(path.read_bytes()).hexdigest()[:12])
            self.known[filename] = entry
        return entry[1]
