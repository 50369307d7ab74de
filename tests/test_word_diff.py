"""The word diff a moderator reads for a waiting edit."""
from app.text import word_diff


def rebuilt(pieces, side):
    return "".join(text for kind, text in pieces if kind in ("same", side))


def test_the_diff_marks_the_changed_words_and_rebuilds_both_texts():
    before = "Cheap solar lamps light the dark streets at night."
    after = "Cheap solar lamps and benches light the streets at night."
    pieces = word_diff(before, after)
    assert rebuilt(pieces, "removed") == before and rebuilt(pieces, "added") == after
    assert ("added", "and benches ") in pieces or any(k == "added" and "benches" in t for k, t in pieces)
    assert any(kind == "removed" and "dark" in text for kind, text in pieces)


def test_a_crafted_long_edit_is_shown_whole_rather_than_matched_word_by_word():
    """A 10,000-character text of a few repeated words made the matcher take seconds per render of the queue;
    past the budget the changed middle is shown as removed, then added, without matching."""
    before = "Intro stays. " + " ".join(["aa", "bb"] * 2_500) + " Outro stays."
    after = "Intro stays. " + " ".join(["bb", "aa", "cc", "dd"] * 1_250) + " Outro stays."
    pieces = word_diff(before, after)
    assert [kind for kind, _ in pieces] == ["same", "removed", "added", "same"]
    assert pieces[0][1].startswith("Intro stays.") and pieces[-1][1].endswith("Outro stays.")
    assert rebuilt(pieces, "removed") == before and rebuilt(pieces, "added") == after
