"""Response headers, the secret key, the client's address behind proxies, suspended members' writes."""
import secrets
from pathlib import Path

import click

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def add_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


class ConfigurationError(click.ClickException, RuntimeError):
    """A setting the app cannot start with. `flask <command>` prints its one-line message, not a traceback."""


MAKE_A_KEY = "python -c 'import secrets; print(secrets.token_hex(32))'"


def ensure_secret_key(app):
    """Production refuses to start without a SECRET_KEY of 32 bytes or more; development makes one once."""
    key = app.config.get("SECRET_KEY")
    if key:
        size = len(key.encode() if isinstance(key, str) else key)
        minimum = app.config.get("SECRET_KEY_MIN_BYTES", 32)
        if app.config["ENV_NAME"] == "production" and size < minimum:
            raise ConfigurationError(
                f"SECRET_KEY is {size} bytes long; production needs at least {minimum}. "
                f"Make one with `{MAKE_A_KEY}`."
            )
        return
    if app.config["ENV_NAME"] != "development":
        raise ConfigurationError(
            f"SECRET_KEY is not set. Set it in the environment (make one with `{MAKE_A_KEY}`), "
            "or use KINDLING_ENV=development."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


def trust_proxies(app):
    """Behind TRUSTED_PROXIES reverse proxies, take the client's address and scheme from their headers.

    Only that many hops are believed, so a client cannot claim an address by sending the header itself."""
    hops = app.config.get("TRUSTED_PROXIES") or 0
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


# What a suspended member may still send: logging out, securing the account, appealing.
WRITES_ALLOWED_WHILE_SUSPENDED = {
    "auth.logout",
    "account.logout_everywhere",
    "account.change_password",
    "account.request_reset",
    "account.reset",
    "moderation_people.appeal",
}
SUSPENDED = "Your account is suspended until {until:%Y-%m-%d %H:%M} UTC, so you can read and appeal but not change anything."


def refuse_writes_while_suspended():
    """Suspension blocks every write (profile, posts, supports, flags, settings) except the ones above."""
    from flask import abort, request
    from flask_login import current_user

    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in WRITES_ALLOWED_WHILE_SUSPENDED:
        return None
    if current_user.is_authenticated and current_user.is_suspended():
        from app import clock

        abort(403, SUSPENDED.format(until=clock.aware(current_user.suspended_until)))
    return None


NUL_IN_ADDRESS = "This address holds a character no page can use (a NUL byte). Remove it and try again."


def refuse_nul_in_address():
    """PostgreSQL cannot compare text holding NUL: an address carrying one is a 400, not a 500.

    Form fields refuse it beside the field (app.forms); the query string and the path have no field."""
    from flask import abort, request

    values = [*request.args.keys(), *request.args.values(),
              *(v for v in (request.view_args or {}).values() if isinstance(v, str))]
    if any("\x00" in value for value in values):
        abort(400, NUL_IN_ADDRESS)
