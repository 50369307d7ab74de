"""The polled board is rendered once per version and kind of viewer, even when pollers arrive together."""
import threading

from challenges.holdups import board_cache


def test_pollers_arriving_together_wait_for_one_render():
    key = ("test-board", object())
    started, release = threading.Event(), threading.Event()
    renders = []

    def slow_render():
        renders.append("slow")
        started.set()
        release.wait(5)
        return "<div id=board>v7</div>"

    results = []
    first = threading.Thread(target=lambda: results.append(board_cache.rendered_once(key, slow_render)))
    first.start()
    assert started.wait(5)
    others = [threading.Thread(target=lambda: results.append(
        board_cache.rendered_once(key, lambda: renders.append("again") or "rendered twice")))
        for _ in range(3)]
    for thread in others:
        thread.start()
    release.set()
    for thread in (first, *others):
        thread.join(5)
    assert renders == ["slow"]
    assert results == ["<div id=board>v7</div>"] * 4


def test_a_failed_render_is_not_kept_and_the_next_poller_renders():
    key = ("test-board-failing", object())

    def broken():
        raise RuntimeError("template error")

    try:
        board_cache.rendered_once(key, broken)
    except RuntimeError:
        pass
    assert board_cache.rendered_once(key, lambda: "fresh") == "fresh"
