"""Error pages: every failure answers with the site's page and its security headers.

The page must render even when what broke is the database (the navigation
bar asks who is logged in), so a failed render is retried as a visitor, and
a last-resort page needs nothing but a string. An unreachable database
answers 503 with Retry-After: the visitor should come back, not report a bug.
"""
import logging

from flask import g, render_template
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, TimeoutError
from werkzeug.exceptions import HTTPException, default_exceptions

from app.extensions import db, login_manager
from app.observability import REQUEST_ID_HEADER, current_request_id
from app.security import add_security_headers
from app.text import plural

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Not found", "There is nothing at this address. It may have moved or been removed."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    413: ("Too large", "What you sent is too large. Send less at a time."),
    429: ("Slow down", "Too many attempts in a short time. Wait a moment, then try again."),
    500: ("Something went wrong", "We could not finish your request. Nothing you had saved was lost; please try again."),
    503: ("Back in a moment", "The site cannot reach its database right now. Nothing you had saved was lost; "
                              "please try again in a minute."),
}
RETRY_AFTER_SECONDS = 30
# Refusals whose reason is written for the person (abort(403, "…")) show it; werkzeug's stock texts do not.
_STOCK_DESCRIPTIONS = {cls.description for cls in default_exceptions.values()}
_CODES_WITH_REASONS = (400, 403, 404)

_BARE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Kindling</title></head>
<body><main><h1>{title}</h1><p>{message}</p><p>Error reference: <code>{request_id}</code></p>
<p><a href="/">Go to the home page</a></p></main></body></html>"""


def database_unreachable(error):
    """True for errors that mean the database cannot be reached (as opposed to a bug in a query)."""
    if isinstance(error, (OperationalError, InterfaceError, DisconnectionError, TimeoutError)):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def render_error(code, detail=None):
    """The error page as a response, whatever else is broken."""
    try:
        return _finish(_page(code, detail), code)
    except Exception as failure:  # the page itself failed: most likely loading who is logged in
        _forget_the_request_state()
        if database_unreachable(failure):
            code, detail = 503, None
        try:
            return _finish(_page(code, detail), code)
        except Exception:
            log.exception("the error page could not be rendered")
            title, message = MESSAGES.get(code, MESSAGES[500])
            body = _BARE_PAGE.format(title=escape(title), message=escape(detail or message),
                                     request_id=escape(current_request_id()))
            return _finish((body, code, {"Content-Type": "text/html; charset=utf-8"}), code)


def _page(code, detail):
    from flask import make_response

    title, message = MESSAGES.get(code, MESSAGES[500])
    body = render_template("errors/error.html", code=code, title=title, message=detail or message,
                           request_id=current_request_id())
    return make_response(body, code)


def _finish(response, code):
    from flask import make_response

    response = make_response(response)
    response.status_code = code
    if code == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers[REQUEST_ID_HEADER] = current_request_id()
    return add_security_headers(response)


def _forget_the_request_state():
    """After a database failure: drop the broken transaction and show the page as to a visitor."""
    try:
        db.session.rollback()
    except Exception:
        log.warning("rollback after a failure failed too", exc_info=True)
    g._login_user = login_manager.anonymous_user()


def _http_error(error):
    code = error.code if error.code in MESSAGES else (500 if error.code >= 500 else 400)
    reasoned = code in _CODES_WITH_REASONS and error.description not in _STOCK_DESCRIPTIONS
    detail = error.description if reasoned else None
    if code == 429:
        detail = _wait_message() or detail
    response = render_error(code, detail)
    for name, value in (error.get_headers() if code in (405, 429) else []):
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    if error.code != code and error.code < 500:
        response.status_code = error.code
    return response


def _database_error(error):
    log.error("database unreachable: %s", error.__class__.__name__, exc_info=error)
    _forget_the_request_state()
    return render_error(503)


def _server_error(error):
    original = getattr(error, "original_exception", None)
    if original is not None and database_unreachable(original):
        return _database_error(original)
    try:
        db.session.rollback()
    except Exception:
        _forget_the_request_state()
    return render_error(500)


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
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _server_error)
    for error in (OperationalError, InterfaceError, DisconnectionError, TimeoutError):
        app.register_error_handler(error, _database_error)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, "Your form expired or was sent from elsewhere. Reload the page and try again.")
