"""Serves uploaded images by their content-hash name, cached for a year."""
import os
import re

from flask import Blueprint, Response, abort, request

from app import images

bp = Blueprint("uploads", __name__)
NAME = re.compile(r"^(avatar|cover)-([0-9a-f]{32})\.webp$")
YEAR = 365 * 24 * 3600


@bp.get("/uploads/<name>")
def image(name):
    found = NAME.match(name)
    if not found:
        abort(404)
    path = os.path.join(images.upload_dir(), name)
    etag = found.group(2)
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            abort(404)
        response = Response(data, mimetype="image/webp")
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = YEAR
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
