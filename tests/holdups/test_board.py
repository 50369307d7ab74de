"""The session: steps, notes, clusters, dots with hidden totals, actions, the report and promotion."""
from datetime import timedelta

import pytest

from app import clock, signals
from challenges.holdups.services import HoldupError, board, live, report
from challenges.holdups.services import registration as reg
from challenges.models import Idea
from tests.factories import UserFactory
from tests.holdups.conftest import make_holdup


@pytest.fixture
def session_at(session, app, monkeypatch):
    monkeypatch.setitem(app.config, "HOLDUP_NOTE_PACE_SECONDS", 0)
    challenge, holdup = make_holdup(moderation_policy="post")
    people = [UserFactory() for _ in range(3)]
    for person in people:
        reg.register(person, challenge, holdup, accept_norms=True)
    clock.freeze(clock.aware(holdup.starts_at))
    live.start_session(challenge.owner, challenge, holdup)

    def go_to(kind):
        steps = [s.kind for s in board.agenda(challenge.id)]
        while steps[holdup.current_step - 1] != kind:
            live.move(challenge.owner, challenge, holdup, holdup.current_step, +1)

    return challenge, holdup, people, go_to


def _reg(user, challenge):
    return reg.registration_of(user, challenge.id)


def test_steps_move_once_per_seen_step_and_the_timer_comes_from_the_server(session_at):
    challenge, holdup, people, _go = session_at
    owner = challenge.owner
    assert live.start_session(owner, challenge, holdup) is False  # a second click
    steps = board.agenda(challenge.id)
    assert live.seconds_left(holdup, steps[0]) == 15 * 60
    clock.freeze(clock.now() + timedelta(minutes=5))
    assert live.seconds_left(holdup, steps[0]) == 10 * 60
    live.change_minutes(owner, challenge, holdup, 1, 3)
    assert live.seconds_left(holdup, steps[0]) == 13 * 60
    live.pause(owner, challenge, holdup)
    clock.freeze(clock.now() + timedelta(minutes=4))
    assert live.seconds_left(holdup, steps[0]) == 13 * 60
    live.resume(owner, challenge, holdup)
    assert live.seconds_left(holdup, steps[0]) == 13 * 60
    assert live.move(owner, challenge, holdup, 1, +1) is True
    assert live.move(owner, challenge, holdup, 1, +1) is False
    assert holdup.current_step == 2
    assert steps[0].seconds_spent == 5 * 60  # the pause does not count
    with pytest.raises(PermissionError):
        live.move(people[0], challenge, holdup, 2, +1)
    with pytest.raises(HoldupError, match="first step"):
        live.move(owner, challenge, holdup, 1, -1)


def test_notes_only_during_diverge_and_checked(session_at):
    challenge, holdup, people, go_to = session_at
    with pytest.raises(HoldupError, match="diverge") as error:
        board.post_note(people[0], challenge, holdup, _reg(people[0], challenge), "Too early")
    assert error.value.field == "body"
    go_to("diverge")
    for text, message in (("x" * 5000, "under 280"), ("a\x00b", "control"), ("   ", "Write")):
        with pytest.raises(HoldupError, match=message):
            board.post_note(people[0], challenge, holdup, _reg(people[0], challenge), text)
    note = board.post_note(people[0], challenge, holdup, _reg(people[0], challenge), "<script>x</script> *bread*")
    assert "<script>" not in note.body_html and "<em>bread</em>" in note.body_html
    visitor = UserFactory()
    with pytest.raises(PermissionError, match="registered participants"):
        board.post_note(visitor, challenge, holdup, None, "I am not registered")


def test_pace_limits_notes(session_at, app, monkeypatch):
    challenge, holdup, people, go_to = session_at
    go_to("diverge")
    monkeypatch.setitem(app.config, "HOLDUP_NOTE_PACE_SECONDS", 10)
    board.post_note(people[0], challenge, holdup, _reg(people[0], challenge), "first", paced=True)
    with pytest.raises(HoldupError, match="wait"):
        board.post_note(people[0], challenge, holdup, _reg(people[0], challenge), "second", paced=True)


def test_clusters_moves_undo_dots_hidden_until_closed_and_actions(session_at):
    challenge, holdup, people, go_to = session_at
    owner = challenge.owner
    go_to("diverge")
    notes = [board.post_note(p, challenge, holdup, _reg(p, challenge), f"note {i}") for i, p in enumerate(people)]
    go_to("cluster")
    with pytest.raises(PermissionError):
        board.create_cluster(people[0], challenge, holdup, _reg(people[0], challenge), "Not mine to make")
    food = board.create_cluster(owner, challenge, holdup, None, "Food")
    board.move_note(owner, challenge, holdup, None, notes[0], food)
    board.move_note(owner, challenge, holdup, None, notes[1], food)
    board.undo_move(owner, challenge, holdup, None)
    assert (notes[0].cluster_id, notes[1].cluster_id) == (food.id, None)

    go_to("dotvote")
    voter = people[2]
    for _ in range(3):
        board.place_dot(voter, challenge, holdup, _reg(voter, challenge), "cluster", food.id)
    with pytest.raises(HoldupError, match="all 3 of your dots"):
        board.place_dot(voter, challenge, holdup, _reg(voter, challenge), "note", notes[1].id)
    view = board.load_board(voter, challenge, holdup)
    assert not view.totals_shown and view.my_dots == {("cluster", food.id): 3} and view.dots_left == 0
    board.take_dot(voter, challenge, holdup, _reg(voter, challenge), "cluster", food.id)
    board.place_dot(voter, challenge, holdup, _reg(voter, challenge), "note", notes[1].id)
    live.move(owner, challenge, holdup, holdup.current_step, +1)  # leaving the vote closes it
    view = board.load_board(voter, challenge, holdup)
    assert view.totals_shown and view.clusters[0][0].dots == 2
    with pytest.raises(HoldupError, match="closed"):
        board.place_dot(voter, challenge, holdup, _reg(voter, challenge), "note", notes[1].id)

    action = board.add_action(people[1], challenge, holdup, _reg(people[1], challenge), what="Call three bakeries",
                              who_id=owner.id, due_on=clock.now().date() + timedelta(days=7), cluster_id=food.id)
    with pytest.raises(HoldupError) as error:
        board.add_action(people[1], challenge, holdup, _reg(people[1], challenge), what="x",
                         who_id=UserFactory().id, due_on=clock.now().date())
    assert error.value.field == "who_id"

    ready = []
    signals.holdup_report_ready.connect(receiver := lambda sender, **kw: ready.append(kw))
    try:
        assert live.end_session(owner, challenge, holdup) is True
    finally:
        signals.holdup_report_ready.disconnect(receiver)
    assert ready == [{"challenge_id": challenge.id, "user_ids": [p.id for p in people]}]
    with pytest.raises(PermissionError, match="read-only"):
        board.add_action(people[1], challenge, holdup, _reg(people[1], challenge), what="late",
                         who_id=owner.id, due_on=clock.now().date())

    board.set_note_status(owner, challenge, holdup, notes[2], "hidden")
    result = report.build_report(challenge, holdup)
    assert [n.body for n in result.board.notes] == ["note 0", "note 1"]
    assert [a.what for a in result.board.actions] == [action.what]
    markdown = report.report_markdown(result, lambda moment: moment.isoformat())
    assert "### Food (2 dots)" in markdown and "note 2" not in markdown and "Call three bakeries" in markdown


def test_promotion_to_ideas_through_the_idea_service(session_at):
    challenge, holdup, people, go_to = session_at
    go_to("diverge")
    note = board.post_note(people[0], challenge, holdup, _reg(people[0], challenge), "Bread fridge")
    with pytest.raises(PermissionError):
        report.promote_note(challenge.owner, challenge, holdup, note)  # not before the end
    live.end_session(challenge.owner, challenge, holdup)
    idea = report.promote_note(challenge.owner, challenge, holdup, note)
    assert isinstance(idea, Idea) and idea.author_id == people[0].id and idea.status == "published"
    assert idea.title == "Bread fridge" and note.idea_id == idea.id
    with pytest.raises(HoldupError, match="already"):
        report.promote_note(challenge.owner, challenge, holdup, note)
