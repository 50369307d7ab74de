"""`url_for` in templates, remembered.

A list page builds about 60 URLs (each card's link, its "log in to support"
link with `next`, the sort tabs), and werkzeug takes 7–25 µs for each: a
millisecond per page, the same URLs for every visitor. The URL map never
changes once the app runs, so a URL depends only on the endpoint, its
values and where the site is mounted; templates get a `url_for` that
remembers what it built (bounded; debug mode, where static fingerprints
follow file edits, always builds afresh).
"""
from flask import url_for
from flask.globals import _cv_request

MAX_REMEMBERED = 20_000


def configure_url_cache(app):
    app.extensions["kindling_urls"] = {}
    app.jinja_env.globals["url_for"] = remembered_url_for


def remembered_url_for(endpoint, **values):
    context = _cv_request.get(None)
    if context is None or context.app.debug:
        return url_for(endpoint, **values)
    environ = context.request.environ
    key = (endpoint, context.request.blueprint if endpoint[:1] == "." else None, environ.get("SCRIPT_NAME"),
           environ.get("HTTP_HOST"), environ.get("wsgi.url_scheme"), *sorted(values.items()))
    remembered = context.app.extensions["kindling_urls"]
    try:
        return remembered[key]
    except KeyError:
        pass
    except TypeError:  # an unhashable value: build it every time
        return url_for(endpoint, **values)
    url = url_for(endpoint, **values)
    if len(remembered) >= MAX_REMEMBERED:
        remembered.clear()
    remembered[key] = url
    return url
