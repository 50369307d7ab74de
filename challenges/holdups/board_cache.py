"""The polled board, rendered once per version and kind of viewer in each worker.

50 participants who poll after a change get the same HTML: what differs per
person (the CSRF token, the server's clock for the countdown) is put in at
the last moment in place of the slots below, and during an open dot-vote
each voter's own dots make their board their own (the caller's key says so).
"""
import threading
from collections import OrderedDict

SLOT_CSRF, SLOT_NOW = "\x00csrf\x00", "\x00now\x00"
_RENDERED = OrderedDict()
_RENDERED_LOCK = threading.Lock()
_RENDERED_MAX = 256
# Renders under way: the pollers that find the board changed at the same moment (a worker's threads
# all waking after one note) wait for one render instead of each rendering it, fighting for the GIL.
_RENDERING = {}
_RENDER_WAIT_SECONDS = 5


def rendered_once(key, render):
    """The HTML stored under `key`, or `render()`'s, computed by one thread while the others wait."""
    with _RENDERED_LOCK:
        html = _RENDERED.get(key)
        if html is not None:
            return html
        pending = _RENDERING.get(key)
        renderer = pending is None
        if renderer:
            pending = _RENDERING[key] = threading.Event()
    if not renderer:
        pending.wait(_RENDER_WAIT_SECONDS)
        with _RENDERED_LOCK:
            html = _RENDERED.get(key)
        return html if html is not None else render()  # the renderer failed or is stuck: render it here
    try:
        html = render()
        with _RENDERED_LOCK:
            _RENDERED[key] = html
            while len(_RENDERED) > _RENDERED_MAX:
                _RENDERED.popitem(last=False)
        return html
    finally:
        with _RENDERED_LOCK:
            del _RENDERING[key]
        pending.set()


def forget():
    """Drop every rendered board (tests, benchmarks)."""
    with _RENDERED_LOCK:
        _RENDERED.clear()
