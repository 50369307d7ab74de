"""The live board: questions, notes, clusters, dots and actions.

Writers are registered participants, the facilitator, the owner and
moderators (app.permissions.holdups). Each change bumps the board version
in its own transaction.
"""
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from app import clock, permissions, signals
from app.auth.models import User
from app.extensions import db
from app.markdown import render_markdown_lite
from challenges.holdups.models import Action, BoardDot, Cluster, Note, NoteMove, Question, Registration
from challenges.holdups.services.common import HoldupError, bump, check_text, require
from challenges.holdups.services.live import current_step, dot_round
from challenges.holdups.services.setup import agenda
from voting.models import DotBallot

NOTE_MAX = 280
QUESTION_MAX = 500
CLUSTER_NAME_MAX = 80
ACTION_MAX = 280
QUESTION_STEPS = ("pitch", "questions")
CLUSTER_STEPS = ("cluster", "dotvote", "actions", "wrapup")
ACTION_STEPS = ("actions", "wrapup")
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def _insert(model):
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


def _writer(user, challenge, holdup, registration):
    refusal = permissions.board_write_refusal(user, challenge, holdup, registration)
    if refusal:
        raise PermissionError(refusal)
    if holdup.status == "scheduled":
        raise HoldupError("The session has not started yet.", "body")


def _step_kind(holdup):
    step = current_step(holdup, agenda(holdup.challenge_id))
    return step, (step.kind if step else None)


def _screen(user, challenge, text, field, paced=False):
    """Watched words and new-member link limits, as for comments; "pending" holds the note for the facilitator."""
    from challenges.services.errors import ChallengeError

    held = False
    try:
        answers = signals.contribution_screening.send(
            user, user=user, challenge_id=challenge.id, kind="note", text=text,
            link_count=len(_LINK.findall(text)), edit=False, paced=paced)
    except ChallengeError as error:
        raise HoldupError(error.message, field) from error
    for _receiver, answer in answers:
        held = held or answer == "pending"
    return held


def _pace(user, challenge, holdup):
    """Like comments: a member posts at most one note per HOLDUP_NOTE_PACE_SECONDS (the facilitator is not paced)."""
    from flask import current_app

    if permissions.can_facilitate(user, challenge, holdup):
        return
    seconds = current_app.config.get("HOLDUP_NOTE_PACE_SECONDS", 10)
    if not seconds:
        return
    last = db.session.scalar(select(Note.created_at).where(Note.author_id == user.id,
                                                           Note.challenge_id == challenge.id)
                             .order_by(Note.created_at.desc()).limit(1))
    if last is not None:
        wait = seconds - (clock.now() - clock.aware(last)).total_seconds()
        if wait > 0:
            raise HoldupError(f"One note every {seconds} seconds: wait {int(wait) + 1} more seconds.", "body")


# Questions


def post_question(user, challenge, holdup, registration, body):
    _writer(user, challenge, holdup, registration)
    step, kind = _step_kind(holdup)
    if kind not in QUESTION_STEPS:
        raise HoldupError("Questions are asked during the pitch and the questions steps.", "body")
    body = check_text(body, "body", QUESTION_MAX, "question")
    held = _screen(user, challenge, body, "body")
    question = Question(challenge_id=challenge.id, author_id=user.id, body=body,
                        body_html=render_markdown_lite(body), status="hidden" if held else "published",
                        created_at=clock.now())
    db.session.add(question)
    db.session.flush()
    bump(challenge.id)
    return question


def mark_answered(actor, challenge, holdup, question, answered=True):
    require(permissions.can_facilitate(actor, challenge, holdup), "Only the facilitator marks questions answered.")
    question.answered = bool(answered)
    db.session.flush()
    bump(challenge.id)


# Notes


def post_note(user, challenge, holdup, registration, body, paced=False):
    """`paced`: the site asks for the pace limits (routes do; scripts and the demo do not)."""
    _writer(user, challenge, holdup, registration)
    step, kind = _step_kind(holdup)
    if kind != "diverge":
        now_in = f" (now: {step.title})" if step else ""
        raise HoldupError(f"Notes are posted during the diverge step{now_in}.", "body")
    body = check_text(body, "body", NOTE_MAX, "note")
    if paced:
        _pace(user, challenge, holdup)
    held = _screen(user, challenge, body, "body", paced=paced)
    note = Note(challenge_id=challenge.id, author_id=user.id, body=body, body_html=render_markdown_lite(body),
                status="held" if held else "published", created_at=clock.now())
    db.session.add(note)
    db.session.flush()
    bump(challenge.id)
    return note


def set_note_status(actor, challenge, holdup, note, status):
    """The facilitator (or a moderator) hides a note from the board, or shows a held one."""
    require(permissions.can_facilitate(actor, challenge, holdup) or permissions.can_moderate(actor, challenge.id),
            "Only the facilitator and moderators hide notes.")
    if status not in ("published", "hidden"):
        raise HoldupError("Unknown status.")
    note.status = status
    db.session.flush()
    bump(challenge.id)


# Clusters


def _clusterer(user, challenge, holdup, registration):
    if not permissions.can_cluster(user, challenge, holdup, registration):
        if holdup.has_ended:
            raise PermissionError("The session has ended: the board is read-only.")
        raise PermissionError("Only the facilitator groups notes here.")
    if not holdup.is_live:
        raise HoldupError("Clusters are made during the session.", "name")
    if not permissions.can_facilitate(user, challenge, holdup):
        _step, kind = _step_kind(holdup)
        if kind != "cluster":
            raise HoldupError("Participants group notes during the cluster step.", "name")


def create_cluster(user, challenge, holdup, registration, name):
    _clusterer(user, challenge, holdup, registration)
    name = check_text(name, "name", CLUSTER_NAME_MAX, "cluster's name")
    cluster = Cluster(challenge_id=challenge.id, name=name, created_by_id=user.id, created_at=clock.now())
    db.session.add(cluster)
    db.session.flush()
    bump(challenge.id)
    return cluster


def move_note(user, challenge, holdup, registration, note, cluster):
    """Put the note in `cluster` (None: out of any cluster). Recorded, so it can be undone."""
    _clusterer(user, challenge, holdup, registration)
    if cluster is not None and cluster.challenge_id != challenge.id:
        raise HoldupError("That cluster is not on this board.", "cluster_id")
    target = cluster.id if cluster else None
    if note.cluster_id == target:
        return None
    db.session.add(NoteMove(challenge_id=challenge.id, note_id=note.id, from_cluster_id=note.cluster_id,
                            to_cluster_id=target, actor_id=user.id, created_at=clock.now()))
    note.cluster_id = target
    db.session.flush()
    bump(challenge.id)
    return note


def undo_move(user, challenge, holdup, registration):
    """Put back the last move not undone yet."""
    _clusterer(user, challenge, holdup, registration)
    last = db.session.scalar(select(NoteMove).where(NoteMove.challenge_id == challenge.id,
                                                    NoteMove.undone.is_(False))
                             .order_by(NoteMove.id.desc()).limit(1))
    if last is None:
        raise HoldupError("Nothing to undo.")
    undone = db.session.execute(update(NoteMove).where(NoteMove.id == last.id, NoteMove.undone.is_(False))
                                .values(undone=True).execution_options(synchronize_session=False)).rowcount
    if not undone:
        return None
    note = db.session.get(Note, last.note_id)
    note.cluster_id = last.from_cluster_id
    db.session.flush()
    bump(challenge.id)
    return note


# Dots: voting's round and ballot carry the budget.


def _dot_target(challenge, target_kind, target_id):
    model = {"note": Note, "cluster": Cluster}.get(target_kind)
    target = db.session.get(model, target_id) if model and target_id else None
    if target is None or target.challenge_id != challenge.id or getattr(target, "status", "published") != "published":
        raise HoldupError("That is not on this board.")
    return model, target


def _dot_round(user, challenge, holdup, registration):
    _writer(user, challenge, holdup, registration)
    round_ = dot_round(holdup)
    if round_ is None:
        raise HoldupError("The dot-vote has not started yet.")
    if not round_.is_open:
        raise HoldupError("The dot-vote is closed: dots can no longer move.")
    return round_


def place_dot(user, challenge, holdup, registration, target_kind, target_id):
    """One more dot on a note or a cluster; the guarded UPDATE on the ballot keeps two tabs from overspending."""
    round_ = _dot_round(user, challenge, holdup, registration)
    model, target = _dot_target(challenge, target_kind, target_id)
    db.session.execute(_insert(DotBallot).values(round_id=round_.id, user_id=user.id, spent=0)
                       .on_conflict_do_nothing())
    spent = db.session.execute(
        update(DotBallot).where(DotBallot.round_id == round_.id, DotBallot.user_id == user.id,
                                DotBallot.spent < round_.budget)
        .values(spent=DotBallot.spent + 1).execution_options(synchronize_session=False)).rowcount
    if not spent:
        raise HoldupError(f"You have placed all {round_.budget} of your dots. Take one back to move it.")
    db.session.execute(_insert(BoardDot).values(round_id=round_.id, user_id=user.id, target_kind=target_kind,
                                                target_id=target.id, count=1)
                       .on_conflict_do_update(index_elements=["round_id", "user_id", "target_kind", "target_id"],
                                              set_={"count": BoardDot.count + 1}))
    db.session.execute(update(model).where(model.id == target.id).values(dots=model.dots + 1)
                       .execution_options(synchronize_session=False))
    bump(challenge.id)


def take_dot(user, challenge, holdup, registration, target_kind, target_id):
    round_ = _dot_round(user, challenge, holdup, registration)
    model, target = _dot_target(challenge, target_kind, target_id)
    freed = db.session.execute(
        update(DotBallot).where(DotBallot.round_id == round_.id, DotBallot.user_id == user.id, DotBallot.spent > 0)
        .values(spent=DotBallot.spent - 1).execution_options(synchronize_session=False)).rowcount
    taken = freed and db.session.execute(
        update(BoardDot).where(BoardDot.round_id == round_.id, BoardDot.user_id == user.id,
                               BoardDot.target_kind == target_kind, BoardDot.target_id == target.id,
                               BoardDot.count > 0)
        .values(count=BoardDot.count - 1).execution_options(synchronize_session=False)).rowcount
    if not taken:
        raise HoldupError("You have no dot there.")  # the caller rolls back the ballot change
    db.session.execute(update(model).where(model.id == target.id).values(dots=model.dots - 1)
                       .execution_options(synchronize_session=False))
    bump(challenge.id)


# Actions


def add_action(user, challenge, holdup, registration, *, what, who_id, due_on, cluster_id=None):
    _writer(user, challenge, holdup, registration)
    _step, kind = _step_kind(holdup)
    if kind not in ACTION_STEPS:
        raise HoldupError("Actions are written during the action plan.", "what")
    what = check_text(what, "what", ACTION_MAX, "action")
    if who_id not in {member.id for member in action_owners(challenge, holdup)}:
        raise HoldupError("Choose who does it: a participant or the entrepreneur.", "who_id")
    if not isinstance(due_on, date):
        raise HoldupError("Give the day it is done by.", "due_on")
    today = clock.now().date()
    if not today - timedelta(days=1) <= due_on <= today + timedelta(days=3 * 365):
        raise HoldupError("Choose a day from today to three years ahead.", "due_on")
    if cluster_id:
        cluster = db.session.get(Cluster, cluster_id)
        if cluster is None or cluster.challenge_id != challenge.id:
            raise HoldupError("That cluster is not on this board.", "cluster_id")
    action = Action(challenge_id=challenge.id, what=what, who_id=who_id, due_on=due_on, cluster_id=cluster_id or None,
                    created_by_id=user.id, created_at=clock.now())
    db.session.add(action)
    db.session.flush()
    bump(challenge.id)
    return action


def remove_action(actor, challenge, holdup, action):
    require(permissions.can_facilitate(actor, challenge, holdup) and not holdup.has_ended,
            "Only the facilitator removes actions, during the session.")
    db.session.delete(action)
    db.session.flush()
    bump(challenge.id)


def action_owners(challenge, holdup):
    """Who may own an action: the registered participants, the entrepreneur and the facilitator."""
    ids = {challenge.owner_id, holdup.facilitator_id}
    ids |= set(db.session.scalars(select(Registration.user_id).where(
        Registration.challenge_id == challenge.id, Registration.status == "registered")))
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.display_name, User.username)))


# Reading the board


@dataclass
class Board:
    steps: list
    step: object
    questions: list
    clusters: list  # (cluster, [notes])
    loose: list  # notes in no cluster
    actions: list
    round: object
    my_dots: dict = field(default_factory=dict)  # ("note"|"cluster", id) -> count

    @property
    def totals_shown(self):
        return self.round is not None and not self.round.is_open

    @property
    def dots_left(self):
        return self.round.budget - sum(self.my_dots.values()) if self.round else 0

    @property
    def notes(self):
        return [note for _cluster, notes in self.clusters for note in notes] + self.loose


@cache
def _board_statements():
    """The board's reads, built once with bound values: a changed board is read on every render."""
    challenge_id, visible = bindparam("challenge_id"), bindparam("visible", expanding=True)
    return {
        "questions": (select(Question).options(joinedload(Question.author))
                      .where(Question.challenge_id == challenge_id, Question.status.in_(visible))
                      .order_by(Question.answered, Question.created_at)),
        "notes": (select(Note).options(joinedload(Note.author))
                  .where(Note.challenge_id == challenge_id, Note.status.in_(visible))
                  .order_by(Note.dots.desc(), Note.created_at).execution_options(populate_existing=True)),
        "clusters": (select(Cluster).where(Cluster.challenge_id == challenge_id)
                     .order_by(Cluster.dots.desc(), Cluster.created_at).execution_options(populate_existing=True)),
        "actions": (select(Action).options(joinedload(Action.who)).where(Action.challenge_id == challenge_id)
                    .order_by(Action.due_on, Action.id)),
    }


def load_board(viewer, challenge, holdup, staff=False):
    """Everything a board view shows, in a fixed number of queries.

    `staff` (facilitator, moderators) also see held and hidden notes and questions.
    """
    steps = agenda(challenge.id)
    statements = _board_statements()
    values = {"challenge_id": challenge.id,
              "visible": ["published", "held", "hidden"] if staff else ["published"]}
    questions = list(db.session.scalars(statements["questions"], values))
    notes = list(db.session.scalars(statements["notes"], values))
    clusters = list(db.session.scalars(statements["clusters"], values))
    actions = list(db.session.scalars(statements["actions"], values))
    round_ = dot_round(holdup)
    mine = {}
    if round_ is not None and getattr(viewer, "is_authenticated", False):
        mine = {(kind, target): count for kind, target, count in db.session.execute(
            select(BoardDot.target_kind, BoardDot.target_id, BoardDot.count)
            .where(BoardDot.round_id == round_.id, BoardDot.user_id == viewer.id, BoardDot.count > 0))}
    by_cluster = {cluster.id: [] for cluster in clusters}
    loose = []
    for note in notes:
        (by_cluster[note.cluster_id] if note.cluster_id in by_cluster else loose).append(note)
    if round_ is not None and round_.is_open:
        # Totals stay hidden while the vote is open: keep the order they were posted in.
        clusters.sort(key=lambda c: c.created_at)
        for group in (*by_cluster.values(), loose):
            group.sort(key=lambda n: n.created_at)
    return Board(steps=steps, step=current_step(holdup, steps), questions=questions,
                 clusters=[(cluster, by_cluster[cluster.id]) for cluster in clusters], loose=loose,
                 actions=actions, round=round_, my_dots=mine)
