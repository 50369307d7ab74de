"""Kindling: create_app() reads as the table of contents of the application."""
from collections import ChainMap
from pathlib import Path

from flask import Flask
from flask.templating import Environment
from werkzeug.routing import IntegerConverter

from app import database
from app.config import profile_from_env
from app.extensions import csrf, db, htmx, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


class KindlingEnvironment(Environment):
    """Flask's Jinja environment, with each template's globals the environment's own dict when it adds none.

    Jinja gives every template a ChainMap over the globals, and every
    `{% from … import … %}` compares the importer's global names with the
    imported template's through it: about 40 names, a ChainMap lookup each,
    at every import of every card and comment (a quarter of the Python calls
    of an idea page with its comments, issue 13). A plain dict answers the
    same question in C. Globals are all set before the first render, as
    Jinja asks.
    """

    def make_globals(self, d):
        return ChainMap(d, self.globals) if d else self.globals


class KindlingFlask(Flask):
    jinja_environment = KindlingEnvironment


def create_app(config=None):
    """`config`: a Config class, or a dict of overrides on the environment's profile."""
    app = KindlingFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder="static",
        instance_relative_config=True,
    )
    configure_settings(app, config)
    configure_database(app)
    configure_accounts(app)
    configure_security(app)
    configure_listeners(app)
    configure_jobs(app)
    configure_blueprints(app)
    configure_templates(app)
    configure_ux(app)
    configure_errors(app)
    configure_cli(app)
    configure_http_caching(app)
    configure_operations(app)
    configure_community(app)  # issue 12
    configure_uploads(app)  # issue 15 item 15
    freeze_startup_objects(app)
    return app


def freeze_startup_objects(app):
    """Move what start-up allocated (modules, models, routes) out of the garbage collector's reach: a
    full collection otherwise walks all of it every few requests, ~100 ms of CPU on the big pages."""
    if not app.testing:
        import gc

        gc.collect()
        gc.freeze()


def configure_settings(app, config):
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(profile_from_env())
        app.config.update(config or {})
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'kindling.db'}"
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(Path(app.instance_path) / "search-index")
    if not app.config.get("MAIL_FILE_DIR") and app.config.get("ENV_NAME") == "development":
        app.config["MAIL_FILE_DIR"] = str(Path(app.instance_path) / "mail")  # no SMTP server: .eml files
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    if app.config["RATELIMIT_STORAGE_URI"].startswith("redis"):
        # Redis down: count in memory (logged once), check Redis again now and then, go back when it answers.
        app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite wants no pool pinging, and waits on a busy file instead of failing.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database.sqlite_engine_options()


def configure_database(app):
    from app import models  # noqa: F401  (every model registered for migrations)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                database.configure_sqlite(engine)


def configure_accounts(app):
    from app.auth.models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id):
        # "<id>:<generation>" (User.get_id): a cookie from an older generation names nobody.
        user_id, _, generation = session_id.partition(":")
        if not (user_id.isdecimal() and generation.isdecimal() and len(user_id) < 10 and len(generation) < 10):
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.session_generation == int(generation) else None


def configure_security(app):
    from app.security import (
        add_security_headers,
        ensure_secret_key,
        refuse_nul_in_address,
        refuse_writes_while_suspended,
        trust_proxies,
    )

    ensure_secret_key(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(add_security_headers)
    trust_proxies(app)
    app.before_request(refuse_nul_in_address)
    app.before_request(refuse_writes_while_suspended)


def configure_listeners(app):
    """Every signal receiver, connected here and nowhere else (connecting twice is harmless)."""
    import moderation.hooks
    import notifications.hooks
    import search.hooks
    import voting.hooks
    from challenges.holdups import hooks as holdups_hooks

    voting.hooks.connect()
    moderation.hooks.connect()
    search.hooks.connect()
    holdups_hooks.connect()  # Hold-ups
    notifications.hooks.connect()


def configure_jobs(app):
    """Every periodic job, scheduled here and nowhere else; background jobs leave after each request."""
    import sys

    import challenges.jobs
    import notifications.jobs
    import voting.jobs
    from app import jobs, scheduler
    from challenges.holdups import jobs as holdups_jobs

    challenges.jobs.schedule()
    voting.jobs.schedule()
    holdups_jobs.schedule()  # Hold-ups
    notifications.jobs.schedule()

    if app.config.get("RUN_SCHEDULER") and "run" in sys.argv[1:]:
        scheduler.start_in_background(app)

    @app.after_request
    def send_committed_jobs(response):
        if response.status_code < 500:
            jobs.dispatch()
        return response


def configure_blueprints(app):
    from app.admin.jobs_routes import bp as admin_jobs_bp
    from app.admin.routes import bp as admin_bp
    from app.auth.account_routes import bp as account_bp
    from app.auth.routes import bp as auth_bp
    from challenges.holdups.routes import bp as holdups_bp
    from challenges.routes import bp as challenges_bp
    from moderation.people_routes import bp as moderation_people_bp
    from moderation.routes import bp as moderation_bp
    from moderation.words_routes import bp as watched_words_bp
    from notifications.routes import bp as notifications_bp
    from search.routes import bp as search_bp
    from voting.routes import bp as voting_bp

    htmx.init_app(app)
    # Ids in URLs stay within what every database can hold: /ideas/99999999999999999999 is a 404, not a 500.
    app.url_map.converters["int"] = BoundedInt
    for blueprint in (auth_bp, account_bp, admin_bp, challenges_bp, voting_bp, moderation_bp, moderation_people_bp,
                      watched_words_bp, search_bp, holdups_bp, admin_jobs_bp, notifications_bp):
        app.register_blueprint(blueprint)


class BoundedInt(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def configure_templates(app):
    from app import fragments, limits, permissions
    from challenges.holdups.fragments import FRAGMENTS as holdup_fragments
    from moderation.fragments import FRAGMENTS as moderation_fragments
    from notifications.fragments import FRAGMENTS as notification_fragments
    from search.fragments import FRAGMENTS as search_fragments
    from voting.fragments import FRAGMENTS as voting_fragments

    app.jinja_env.globals["permissions"] = permissions
    app.jinja_env.globals["slot"] = fragments.slot
    app.jinja_env.globals["limits"] = limits
    # What each feature shows on the pages of the features below it.
    for contributed in (voting_fragments, moderation_fragments, search_fragments, holdup_fragments,
                        notification_fragments):
        fragments.contribute(contributed)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def configure_ux(app):
    # issue 15: shared template helpers (pluralisation, avatars, snippets)
    from app.ux import configure_ux as configure

    configure(app)


def configure_errors(app):
    from app import routing
    from app.errors import register_error_handlers

    register_error_handlers(app)
    routing.configure(app)


def configure_cli(app):
    from app.cli import register_commands

    register_commands(app)


# Performance (issue 13): cache headers, fingerprinted static files, compression, visitors' page cache.


def configure_http_caching(app):
    from app.http_caching import configure_http_caching as configure
    from app.page_cache import configure_page_cache
    from app.urls import configure_url_cache

    configure(app)
    configure_url_cache(app)
    configure_page_cache(app)


# --- operations (issue 14): request ids, JSON logs in production, health endpoints ---
def configure_operations(app):
    from app import health, observability

    observability.init_app(app)
    health.init_app(app)


# community (issue 12): blueprint, signal receivers, periodic jobs, commands.
def configure_community(app):
    from app import fragments
    from community import hooks, jobs
    from community.cli import insights_cli
    from community.fragments import FRAGMENTS
    from community.routes import bp

    app.register_blueprint(bp)
    fragments.contribute(FRAGMENTS)
    hooks.connect()  # blinker connects a receiver once, however often create_app runs
    jobs.schedule()
    app.cli.add_command(insights_cli)


# uploaded images (issue 15 item 15): avatars and challenge covers, served by content hash.
def configure_uploads(app):
    from app.uploads import bp

    app.register_blueprint(bp)
