"""Request ids and structured logs.

Every response carries `X-Request-ID` (also shown on the error page), so a
person reporting a problem gives the operator something to search for. In
production (or with LOG_FORMAT=json) every log line is one JSON object, and
every request writes one line: time, level, request id, user id, route,
status and duration.
"""
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import current_app, g, has_request_context, request
from flask_login import AnonymousUserMixin
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
# An id a trusted proxy passed along is kept only if it looks like one.
_INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
request_log = logging.getLogger("kindling.requests")
# Probes every few seconds would drown the lines people read.
_QUIET_ENDPOINTS = {"static", "health.healthz", "health.readyz"}


def init_app(app):
    if app.config.get("LOG_FORMAT") == "json":
        install_json_logging(app)
    app.before_request(_start)
    app.after_request(_finish)


def current_request_id():
    """The id of the request being served ("-" outside one)."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        trusted = current_app.config.get("TRUSTED_PROXIES", 0) > 0 and _INCOMING_ID.match(incoming)
        g.request_id = incoming if trusted else uuid.uuid4().hex
    return g.request_id


def _start():
    g.request_started = time.perf_counter()
    current_request_id()


def _finish(response):
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    if request.endpoint not in _QUIET_ENDPOINTS:
        started = g.get("request_started")
        request_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={
                "status": response.status_code,
                "method": request.method,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
            },
        )
    return response


def _user_id():
    # Only a user already loaded: logging must never query the database.
    user = g.get("_login_user")
    if user is None or isinstance(user, AnonymousUserMixin):
        return None
    # The identity a loaded row keeps even once a commit expired it: reading `user.id` would reload it.
    identity = inspect(user).identity
    return identity[0] if identity else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    FIELDS = ("status", "method", "duration_ms")

    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            entry["request_id"] = current_request_id()
            entry["user_id"] = _user_id()
            entry["route"] = request.url_rule.rule if request.url_rule else None
            entry["path"] = request.path
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def install_json_logging(app, stream=None):
    """Send every logger's records to stderr as JSON lines (once per process)."""
    from flask.logging import default_handler

    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "kindling_json", False)), None)
    if handler is None:
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.kindling_json = True
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    app.logger.removeHandler(default_handler)
    return handler
