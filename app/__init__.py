"""Kindling: create_app() reads as the table of contents of the application."""
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from app import database
from app.config import profile_from_env
from app.extensions import csrf, db, htmx, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config=None):
    """`config`: a Config class, or a dict of overrides on the environment's profile."""
    app = Flask(
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
    configure_errors(app)
    configure_cli(app)
    configure_http_caching(app)
    return app


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
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
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
    def load_user(user_id):
        return db.session.get(User, int(user_id)) if user_id.isdecimal() and len(user_id) < 10 else None


def configure_security(app):
    from app.security import add_security_headers, ensure_secret_key

    ensure_secret_key(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(add_security_headers)


def configure_listeners(app):
    """Every signal receiver, connected here and nowhere else (connecting twice is harmless)."""
    import moderation.hooks
    import search.hooks
    import voting.hooks

    voting.hooks.connect()
    moderation.hooks.connect()
    search.hooks.connect()


def configure_jobs(app):
    """Every periodic job, scheduled here and nowhere else; background jobs leave after each request."""
    import sys

    import challenges.jobs
    import voting.jobs
    from app import jobs, scheduler

    challenges.jobs.schedule()
    voting.jobs.schedule()

    if app.config.get("RUN_SCHEDULER") and "run" in sys.argv[1:]:
        scheduler.start_in_background(app)

    @app.after_request
    def send_committed_jobs(response):
        if response.status_code < 500:
            jobs.dispatch()
        return response


def configure_blueprints(app):
    from app.admin.routes import bp as admin_bp
    from app.auth.routes import bp as auth_bp
    from challenges.routes import bp as challenges_bp
    from moderation.routes import blueprints as moderation_blueprints
    from search.routes import bp as search_bp
    from voting.routes import bp as voting_bp

    htmx.init_app(app)
    # Ids in URLs stay within what every database can hold: /ideas/99999999999999999999 is a 404, not a 500.
    app.url_map.converters["int"] = BoundedInt
    for blueprint in (auth_bp, admin_bp, challenges_bp, voting_bp, *moderation_blueprints, search_bp):
        app.register_blueprint(blueprint)


class BoundedInt(IntegerConverter):
    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def configure_templates(app):
    from app import fragments, permissions
    from moderation.fragments import FRAGMENTS as moderation_fragments
    from search.fragments import FRAGMENTS as search_fragments
    from voting.fragments import FRAGMENTS as voting_fragments

    app.jinja_env.globals["permissions"] = permissions
    app.jinja_env.globals["slot"] = fragments.slot
    # What each feature shows on the pages of the features below it.
    for contributed in (voting_fragments, moderation_fragments, search_fragments):
        fragments.contribute(contributed)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def configure_errors(app):
    from app import routing
    from app.errors import register_error_handlers

    register_error_handlers(app)
    routing.configure(app)


def configure_cli(app):
    from app.cli import register_commands

    register_commands(app)


# Performance (issue 13): cache headers, fingerprinted static files, compression.


def configure_http_caching(app):
    from app.http_caching import configure_http_caching as configure
    from app.urls import configure_url_cache

    configure(app)
    configure_url_cache(app)
