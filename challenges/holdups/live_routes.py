"""The live board (/challenges/<slug>/live); the report after it is in report_routes.py.

The board polls /live/board every 2 seconds with If-None-Match; an
unchanged board answers 304 after one query (the version). Writes are
plain forms that redirect back to the board (htmx boosts them).
"""
from functools import cache

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import bindparam, select

from app import clock, permissions
from app.extensions import db, htmx
from app.forms import int_arg
from challenges.forms import EmptyForm
from challenges.holdups.board_cache import SLOT_CSRF, SLOT_NOW, rendered_once
from challenges.holdups.forms import (
    ActionForm,
    ClusterForm,
    ConsoleForm,
    DotForm,
    MoveForm,
    NoteForm,
    QuestionForm,
)
from challenges.holdups.models import Action, Cluster, Holdup, Note, Question
from challenges.holdups.routes import _field_error, _holdup, _refusals_as_403, bp
from challenges.holdups.services import HoldupError, board, live
from challenges.holdups.services.common import registration_of
from challenges.models import Challenge

POLL_SECONDS = 2


def _etag(version, user_id):
    return f'W/"board-{version}-{user_id or 0}"'


def _viewer(challenge, holdup):
    """The viewer's registration, after checking they may watch (login first for the private boards)."""
    mine = registration_of(current_user, challenge.id)
    if not permissions.can_view_board(current_user, challenge, holdup, mine):
        if not current_user.is_authenticated:
            abort(redirect(url_for("auth.login", next=request.path)))
        abort(403)
    return mine


def _own_ids(form, prefix):
    """Several forms share the board: give their fields distinct ids (labels follow), names unchanged."""
    for item in form:
        if item.type not in ("CSRFTokenField", "HiddenField"):
            item.id = item.label.field_id = f"{prefix}-{item.name}"
    return form


class _TokenWhenShown:
    """`{{ csrf_value }}`: the CSRF token, made (and put in the session) only if a form shows it."""

    def __html__(self):
        return generate_csrf()


TOKEN_WHEN_SHOWN = _TokenWhenShown()


def _live_context(challenge, holdup, mine, **forms):
    facilitator = permissions.can_facilitate(current_user, challenge, holdup)
    staff = facilitator or permissions.can_moderate(current_user, challenge.id)
    view = board.load_board(current_user, challenge, holdup, staff=staff)
    ends_at = live.step_ends_at(holdup, view.step)
    owners = board.action_owners(challenge, holdup) if view.step and view.step.kind in board.ACTION_STEPS else []
    cluster_choices = {0: "No cluster"} | {cluster.id: cluster.name for cluster, _notes in view.clusters}
    action_form = forms.get("action_form") or ActionForm(formdata=None, who_id=challenge.owner_id)
    action_form.who_id.choices = {user.id: user.name for user in owners}
    action_form.cluster_id.choices = cluster_choices
    move_form = MoveForm(formdata=None)
    move_form.cluster_id.choices = cluster_choices
    refusal = permissions.board_write_refusal(current_user, challenge, holdup, mine)
    return dict(
        challenge=challenge, holdup=holdup, board=view, registration=mine,
        etag=_etag(holdup.version, current_user.get_id() if current_user.is_authenticated else 0),
        facilitator=facilitator, staff=staff, write_refusal=refusal, can_write=refusal is None,
        can_cluster=permissions.can_cluster(current_user, challenge, holdup, mine),
        seconds_left=live.seconds_left(holdup, view.step),
        ends_at_ms=int(ends_at.timestamp() * 1000) if ends_at else None,
        server_now_text=str(int(clock.now().timestamp() * 1000)), csrf_value=TOKEN_WHEN_SHOWN,
        poll_seconds=POLL_SECONDS,
        note_form=_own_ids(forms.get("note_form") or NoteForm(formdata=None), "note"),
        question_form=_own_ids(forms.get("question_form") or QuestionForm(formdata=None), "question"),
        cluster_form=_own_ids(forms.get("cluster_form") or ClusterForm(formdata=None), "cluster"),
        console_form=_own_ids(forms.get("console_form") or ConsoleForm(formdata=None, from_step=holdup.current_step),
                              "console"),
        action_form=_own_ids(action_form, "action"), move_form=move_form, dot_form=DotForm(formdata=None), empty_form=EmptyForm(),
        console_error=forms.get("console_error"), board_error=forms.get("board_error"),
    )


def _no_store(response):
    response.headers["Cache-Control"] = "no-cache, private"
    response.vary.add("HX-Request")
    response.vary.add("Cookie")
    return response


@bp.get("/challenges/<slug>/live")
def live_page(slug):
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    context = _live_context(challenge, holdup, mine)
    response = Response(render_template("holdups/live.html", **context))
    response.headers["ETag"] = context["etag"]
    return _no_store(response)


@cache
def _version_statement():
    # Built once: the poll that finds nothing new should cost as little as the query itself.
    return (select(Holdup.version).join(Challenge, Challenge.id == Holdup.challenge_id)
            .where(Challenge.slug == bindparam("slug")))


@bp.get("/challenges/<slug>/live/board")
def board_fragment(slug):
    """The polled board. Unchanged since the viewer's last copy: 304 after reading the version alone."""
    asked = request.headers.get("If-None-Match")
    if asked:
        version = db.session.scalar(_version_statement(), {"slug": slug})
        if version is not None and asked == _etag(version, session.get("_user_id")):
            response = Response(status=304)
            response.headers["ETag"] = asked
            return _no_store(response)
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    if htmx and htmx.target == "board":
        html = _shared_board(challenge, holdup, mine)
        etag = _etag(holdup.version, current_user.get_id() if current_user.is_authenticated else 0)
    else:
        context = _live_context(challenge, holdup, mine)
        html, etag = render_template("holdups/live.html", **context), context["etag"]
    response = Response(html)
    response.headers["ETag"] = etag
    return _no_store(response)


def _shared_board(challenge, holdup, mine):
    """The board for this kind of viewer at this version, rendered once per worker (board_cache)."""
    from challenges.holdups.routes import viewer_zone

    facilitator = bool(permissions.can_facilitate(current_user, challenge, holdup))
    staff = facilitator or bool(permissions.can_moderate(current_user, challenge.id))
    refusal = permissions.board_write_refusal(current_user, challenge, holdup, mine)
    round_ = live.dot_round(holdup)
    own = current_user.get_id() if round_ is not None and round_.is_open and refusal is None else None
    # The database and the challenge's creation time keep boards of other databases (tests) apart.
    key = (str(db.engine.url), challenge.id, clock.aware(challenge.created_at).isoformat(), holdup.version,
           facilitator, staff, refusal,
           bool(permissions.can_cluster(current_user, challenge, holdup, mine)), own,
           viewer_zone() if holdup.status == "scheduled" else None)
    html = rendered_once(key, lambda: _render_shared(challenge, holdup, mine))
    if SLOT_CSRF in html:  # a token only where a form is shown: a watching visitor gets no cookie (issue 13)
        html = html.replace(SLOT_CSRF, generate_csrf())
    return html.replace(SLOT_NOW, str(int(clock.now().timestamp() * 1000)))


def _render_shared(challenge, holdup, mine):
    context = _live_context(challenge, holdup, mine)
    context.update(csrf_value=SLOT_CSRF, server_now_text=SLOT_NOW)
    return render_template("holdups/_board.html", **context)


def _back_to_board(slug):
    return redirect(url_for("holdups.live_page", slug=slug, _anchor="board"), 303)


def _live_again(challenge, holdup, mine, **forms):
    """The whole board again with the message beside the field (422), the text kept."""
    return _no_store(Response(render_template("holdups/live.html", **_live_context(challenge, holdup, mine, **forms)),
                              status=422))


# The facilitator's console

CONSOLE_ACTIONS = ("start", "next", "previous", "pause", "resume", "minutes", "plus1", "plus5", "minus1",
                   "close_vote", "end")
QUICK_MINUTES = {"plus1": 1, "plus5": 5, "minus1": -1}


@bp.post("/challenges/<slug>/live/console")
@login_required
@_refusals_as_403
def console(slug):
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    form = ConsoleForm()
    action = request.form.get("action")
    if action not in CONSOLE_ACTIONS or not form.validate_on_submit():
        # A field's own message (the minutes) says what to fix; the general one only when the action itself is unknown.
        field_errors = action in CONSOLE_ACTIONS and any(field.errors for field in form if field.name != "csrf_token")
        return _live_again(challenge, holdup, mine, console_form=form,
                           console_error=None if field_errors else "Use the buttons of the console.")
    try:
        if action == "start":
            done = live.start_session(current_user, challenge, holdup)
        elif action in ("next", "previous"):
            done = live.move(current_user, challenge, holdup, form.from_step.data, +1 if action == "next" else -1)
        elif action == "pause":
            done = live.pause(current_user, challenge, holdup)
        elif action == "resume":
            done = live.resume(current_user, challenge, holdup)
        elif action == "minutes" or action in QUICK_MINUTES:
            minutes = QUICK_MINUTES.get(action, form.minutes.data)
            done = live.change_minutes(current_user, challenge, holdup, form.from_step.data, minutes)
        elif action == "close_vote":
            done = live.close_vote(current_user, challenge, holdup)
        else:
            done = live.end_session(current_user, challenge, holdup)
    except HoldupError as error:
        db.session.rollback()
        if error.field:
            _field_error(form, error)
        return _live_again(challenge, holdup, mine, console_form=form,
                           console_error=None if error.field else error.message)
    db.session.commit()
    if not done:
        flash("Already done: the board had moved on before your click. Here is where it stands.", "info")
    elif action == "end":
        flash("The session has ended. The report is ready.", "success")
        return redirect(url_for("holdups.report_page", slug=slug), 303)
    return _back_to_board(slug)


# Writing on the board


def _write(slug, form_class, form_name, write):
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    form = form_class()
    if form_name == "action_form":
        form.who_id.choices, form.cluster_id.choices = {}, {}
    if form.validate_on_submit():
        try:
            write(challenge, holdup, mine, form)
        except HoldupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            return _back_to_board(slug)
    return _live_again(challenge, holdup, mine, **{form_name: form})


@bp.post("/challenges/<slug>/live/questions")
@login_required
@_refusals_as_403
def ask(slug):
    return _write(slug, QuestionForm, "question_form", lambda c, h, r, f: board.post_question(
        current_user, c, h, r, f.body.data))


@bp.post("/challenges/<slug>/live/notes")
@login_required
@_refusals_as_403
def post_note(slug):
    return _write(slug, NoteForm, "note_form", lambda c, h, r, f: board.post_note(
        current_user, c, h, r, f.body.data, paced=True))


@bp.post("/challenges/<slug>/live/clusters")
@login_required
@_refusals_as_403
def create_cluster(slug):
    return _write(slug, ClusterForm, "cluster_form", lambda c, h, r, f: board.create_cluster(
        current_user, c, h, r, f.name.data))


@bp.post("/challenges/<slug>/live/actions")
@login_required
@_refusals_as_403
def add_action(slug):
    return _write(slug, ActionForm, "action_form", lambda c, h, r, f: board.add_action(
        current_user, c, h, r, what=f.what.data, who_id=f.who_id.data, due_on=f.due_on.data,
        cluster_id=f.cluster_id.data or None))


def _item(model, challenge, item_id):
    item = db.session.get(model, item_id)
    if item is None or item.challenge_id != challenge.id:
        abort(404)
    return item


def _simple(slug, act):
    """A button: CSRF, one service call, back to the board (the message on top when refused)."""
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        act(challenge, holdup, mine)
    except HoldupError as error:
        db.session.rollback()
        return _live_again(challenge, holdup, mine, board_error=error.message)
    db.session.commit()
    return _back_to_board(slug)


@bp.post("/challenges/<slug>/live/questions/<int:question_id>/answered")
@login_required
@_refusals_as_403
def answered(slug, question_id):
    return _simple(slug, lambda c, h, r: board.mark_answered(
        current_user, c, h, _item(Question, c, question_id), request.form.get("answered") != "0"))


@bp.post("/challenges/<slug>/live/notes/<int:note_id>/status")
@login_required
@_refusals_as_403
def note_status(slug, note_id):
    return _simple(slug, lambda c, h, r: board.set_note_status(
        current_user, c, h, _item(Note, c, note_id), request.form.get("status", "")))


@bp.post("/challenges/<slug>/live/notes/<int:note_id>/move")
@login_required
@_refusals_as_403
def move_note(slug, note_id):
    def act(challenge, holdup, mine):
        target = request.form.get("cluster_id", type=int_arg) or 0
        cluster = _item(Cluster, challenge, target) if target else None
        board.move_note(current_user, challenge, holdup, mine, _item(Note, challenge, note_id), cluster)

    return _simple(slug, act)


@bp.post("/challenges/<slug>/live/undo")
@login_required
@_refusals_as_403
def undo(slug):
    return _simple(slug, lambda c, h, r: board.undo_move(current_user, c, h, r))


@bp.post("/challenges/<slug>/live/dots")
@login_required
@_refusals_as_403
def dots(slug):
    def act(challenge, holdup, mine):
        kind, target = request.form.get("target_kind"), request.form.get("target_id", type=int_arg)
        if kind not in ("note", "cluster") or not target:
            raise HoldupError("That is not on this board.")
        spend = board.place_dot if request.form.get("op") != "take" else board.take_dot
        spend(current_user, challenge, holdup, mine, kind, target)

    return _simple(slug, act)


@bp.post("/challenges/<slug>/live/actions/<int:action_id>/delete")
@login_required
@_refusals_as_403
def remove_action(slug, action_id):
    return _simple(slug, lambda c, h, r: board.remove_action(current_user, c, h, _item(Action, c, action_id)))
