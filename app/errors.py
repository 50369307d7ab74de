from flask import render_template
from flask_wtf.csrf import CSRFError

from app.extensions import db
from app.text import plural

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing at this address. It may have moved or been removed."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    429: ("Slow down", "Too many attempts in a short time. Wait a moment, then try again."),
    500: ("Something went wrong", "We could not finish your request. Nothing you had saved was lost; please try again."),
}


def render_error(code, detail=None):
    title, message = MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, message=detail or message), code


def _wait_message():
    """How long a rate-limited person waits, in words ("Try again in 42 seconds.")."""
    import time

    from app.extensions import limiter

    try:
        limit = limiter.current_limit
    except Exception:  # outside a limited view there is no window to tell
        limit = None
    if limit is None:
        return None
    seconds = max(1, int(limit.reset_at - time.time()))
    wait = plural(seconds, "second") if seconds < 120 else plural(-(-seconds // 60), "minute")
    return f"Too many attempts in a short time. Try again in {wait}."


def register_error_handlers(app):
    for code in (400, 403, 404, 405):
        app.register_error_handler(code, lambda error, code=code: render_error(code))

    @app.errorhandler(429)
    def too_many(error):
        return render_error(429, _wait_message())

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "Your form expired or was sent from elsewhere. Reload the page and try again.")

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500)
