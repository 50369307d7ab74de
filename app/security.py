"""Response headers and the secret key."""
import secrets
from pathlib import Path

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


def ensure_secret_key(app):
    """Production refuses to start without SECRET_KEY; development makes one once."""
    if app.config.get("SECRET_KEY"):
        return
    if app.config["ENV_NAME"] != "development":
        raise RuntimeError(
            "SECRET_KEY is not set. Set it in the environment (e.g. `python -c "
            "'import secrets; print(secrets.token_hex(32))'`), or use KINDLING_ENV=development."
        )
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
