"""Health endpoints for load balancers and orchestrators: JSON, no log-in, no rate limit, cheap.

/healthz: the process answers (touches nothing else).
/readyz: the database answers, its migrations are at head, Redis answers when
REDIS_URL is set, and the search index can be opened. 200 when all hold,
503 naming what failed otherwise.
"""
import logging
from functools import cache
from pathlib import Path

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import csrf, db, limiter

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def init_app(app):
    app.register_blueprint(bp)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    return _json({"status": "ok"}, 200)


@bp.get("/readyz")
@limiter.exempt
def readyz():
    checks = {"database": _database(), "migrations": _migrations(), "redis": _redis(), "search_index": _search()}
    ready = all(result in ("ok", "not configured") for result in checks.values())
    return _json({"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503)


def _json(payload, status):
    response = jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _failed(what, error):
    log.warning("readyz: %s check failed: %s", what, error.__class__.__name__)
    return f"failed: {error.__class__.__name__}"


def _database():
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as error:
        db.session.rollback()
        return _failed("database", error)


@cache
def _heads():
    return frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


def _migrations():
    try:
        applied = frozenset(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception as error:
        db.session.rollback()
        return _failed("migrations", error)
    if applied != _heads():
        return f"behind: at {', '.join(sorted(applied)) or 'nothing'}, head is {', '.join(sorted(_heads()))}"
    return "ok"


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "not configured"
    from redis import Redis

    try:
        with Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as connection:
            connection.ping()
        return "ok"
    except Exception as error:
        return _failed("redis", error)


def _search():
    from search.services import backend

    try:
        return "ok" if backend().available() else "missing"
    except Exception as error:
        return _failed("search index", error)


csrf.exempt(bp)
