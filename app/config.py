"""Settings read from the environment.

KINDLING_ENV picks the profile: "development" (what `make run` uses),
"testing", or "production" (the default, so a forgotten variable fails safe).
"""
import os


def _env(name, default=None):
    value = os.environ.get(name, "").strip()
    return value or default


class Config:
    ENV_NAME = "production"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")  # None: a SQLite file in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL")  # None: jobs run in-process
    SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR")
    # Uploaded avatars and covers (app/images.py); None: uploads/ in the instance folder.
    UPLOAD_DIR = _env("UPLOAD_DIR")
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    UPLOAD_MAX_PIXELS = 40_000_000
    MAIL_SERVER = _env("MAIL_SERVER")
    MAIL_PORT = int(_env("MAIL_PORT", "25"))
    MAIL_DEFAULT_SENDER = _env("MAIL_DEFAULT_SENDER", "Kindling <noreply@localhost>")
    MAIL_USE_TLS = _env("MAIL_USE_TLS", "") in ("1", "true", "yes")  # STARTTLS
    MAIL_USE_SSL = _env("MAIL_USE_SSL", "") in ("1", "true", "yes")  # SMTP over TLS (port 465)
    MAIL_USERNAME = _env("MAIL_USERNAME")
    MAIL_PASSWORD = _env("MAIL_PASSWORD")
    # Without MAIL_SERVER, messages are written here as .eml files (None: only logged).
    MAIL_FILE_DIR = _env("MAIL_FILE_DIR")
    # The address e-mails link to (unsubscribe, ideas).
    SITE_URL = _env("SITE_URL", "http://127.0.0.1:5000")
    # Seconds between two polls of the unread count in the navigation bar.
    NOTIFICATION_POLL_SECONDS = int(_env("NOTIFICATION_POLL_SECONDS", "30"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30

    # Tokens are bound to the session; a form left open for hours still posts.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_HEADERS = ["X-CSRFToken"]

    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_STORAGE_URI = None  # filled from REDIS_URL, or memory://
    RUN_SCHEDULER = False  # production runs `flask scheduler` (or cron) instead
    # CPU seconds a search may spend counting matches before it shows "more than N results".
    SEARCH_TIME_LIMIT = float(_env("SEARCH_TIME_LIMIT", "0.2"))
    # Search: "whoosh" (an index directory on this host) or "postgres" (the database's full-text search).
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "whoosh")
    SEARCH_COUNT_LIMIT = int(_env("SEARCH_COUNT_LIMIT", "1000"))  # beyond it: "more than N results"
    # Memory of each whoosh rebuild process (MB) before it spills postings to temporary files and
    # merges them back, which costs a third more CPU; 768 holds about 70,000 ideas per process.
    SEARCH_REBUILD_MB = int(_env("SEARCH_REBUILD_MB", "768"))
    # A new member posts at most once per this many seconds (0: no limit).
    NEW_MEMBER_PACE_SECONDS = int(_env("NEW_MEMBER_PACE_SECONDS", "30"))
    # Brotli/gzip by Flask-Compress; "0" leaves compression to a reverse proxy (issue 13).
    COMPRESS_RESPONSES = _env("COMPRESS_RESPONSES", "1") != "0"
    # A visitor's home, challenge list, challenge and idea pages are kept this many seconds, while no write
    # commits (app/page_cache.py); 0 turns the cache off.
    VISITOR_PAGE_CACHE_SECONDS = int(_env("VISITOR_PAGE_CACHE_SECONDS", "60"))
    LOGIN_FAILURES_PER_MINUTE = 10  # per account and address
    LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE = 60  # one address trying many accounts
    # Hold-ups: a participant posts at most one sticky note per this many seconds (0: no limit).
    HOLDUP_NOTE_PACE_SECONDS = int(_env("HOLDUP_NOTE_PACE_SECONDS", "10"))
    REGISTRATIONS_PER_HOUR = 20
    PASSWORD_RESETS_PER_HOUR = 5  # per address, and per account named
    PASSWORD_RESET_MAX_AGE = 60 * 60  # seconds a reset link stays valid
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto
    # (0: none; the connection's address is the client's).
    TRUSTED_PROXIES = int(_env("TRUSTED_PROXIES", "0"))
    SECRET_KEY_MIN_BYTES = 32


    # "json": one JSON object per log line (production's default); "text": plain lines.
    LOG_FORMAT = _env("LOG_FORMAT", "json")


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    LOG_FORMAT = _env("LOG_FORMAT", "text")
    RUN_SCHEDULER = True  # `flask run` also runs the periodic jobs
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class ProductionConfig(Config):
    ENV_NAME = "production"


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    LOG_FORMAT = "text"
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = "sqlite://"  # the test harness picks the real database
    REDIS_URL = None  # tests opt into Redis explicitly with TEST_REDIS_URL
    RATELIMIT_STORAGE_URI = "memory://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    MAIL_SERVER = None
    SERVER_NAME = None
    # Tests roll their writes back instead of committing them, which no content version can see;
    # tests/test_page_cache.py turns it on with an application that commits.
    VISITOR_PAGE_CACHE_SECONDS = 0


PROFILES = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}


def profile_from_env():
    name = _env("KINDLING_ENV", "production")
    if name not in PROFILES:
        raise RuntimeError(f"KINDLING_ENV must be one of {', '.join(PROFILES)}, not {name!r}")
    return PROFILES[name]
