"""Kindling served from a thread for the browser tests."""
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

from app.extensions import db


def closing_bodies(wsgi_app):
    """Read each response body whole and close it before the server writes it.

    Werkzeug's development server closes a body only after draining the
    socket, and a browser that drops the connection first (a page left before
    its script finished loading) makes that drain raise, so the static file
    behind the body is left open and reported later as a ResourceWarning in
    whichever test is running. Bodies here are small pages and assets.
    """

    def application(environ, start_response):
        body = wsgi_app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return application


@contextmanager
def serving(application):
    """Serve `application` on a free local port; yield its address, stop and release the database after."""
    server = make_server("127.0.0.1", 0, closing_bodies(application), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        with application.app_context():
            db.engine.dispose()
