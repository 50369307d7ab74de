"""What every blueprint's routes need, written once.

- `safe_next`: where a `next` parameter may send someone (same-site paths only).
- `hx_target` and `page_or_fragment`: an htmx request for one part of a page
  gets that part; anything else gets the whole page, which includes the same
  fragment. Either way the answer varies on `HX-Request`.
- `visible_or_404`: an object the viewer may not know exists is a 404.
- `Refused` (from app.permissions) and PermissionError, when a route does
  not catch them, are answered here: the reason on the site's error page, or
  as the text of an htmx answer.
"""
from urllib.parse import urlsplit

from flask import abort, make_response, render_template, request

from app.extensions import db
from app.permissions import Refused


def safe_next(target, default=None):
    """`target` if it is a path on this site, else `default`: never let ?next= send people elsewhere."""
    if not target or not isinstance(target, str):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def next_url(default=None):
    """The safe `next` of this request's form or query string."""
    return safe_next(request.form.get("next") or request.args.get("next"), default)


def hx_target():
    """The element an htmx request will swap (its HX-Target), or "" for an ordinary request."""
    return request.headers.get("HX-Target", "") if request.headers.get("HX-Request") else ""


def vary_on_htmx(response):
    response = make_response(response)
    response.vary.add("HX-Request")
    return response


def page_or_fragment(page, fragments, status=200, **context):
    """Render the fragment registered for this request's HX-Target, or the whole page.

    `fragments` maps a target id to a template; the page includes the same
    templates, so both answers show the same thing.
    """
    template = fragments.get(hx_target()) if fragments else None
    return vary_on_htmx((render_template(template or page, **context), status))


def visible_or_404(obj, decision=True):
    """`obj` when it exists and the gatekeeper's `decision` lets the viewer see it; 404 otherwise."""
    if obj is None or not decision:
        abort(404)
    return obj


def configure(app):
    from app.errors import render_error

    @app.errorhandler(Refused)
    def refused(error):
        db.session.rollback()
        status = 404 if error.status == 404 else 403
        if hx_target():
            return vary_on_htmx((error.message, status))
        return render_error(status, error.message if status == 403 else None)

    @app.errorhandler(PermissionError)
    def forbidden(error):
        db.session.rollback()
        return render_error(403, str(error) or None)
