"""Dot-voting and pairwise rounds: the board, the comparisons, and the owner opening and closing them.

These routes belong to the voting blueprint (voting.routes imports this
module), so their URLs and endpoint names are unchanged.
"""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer

from app import database, permissions
from app.extensions import db, htmx
from app.routing import vary_on_htmx
from challenges.loading import visible_challenge as _load_challenge
from challenges.models import Idea
from voting.forms import DotRoundForm
from voting.routes import bp, require_login, require_manager
from voting.services import dots as voting_dots
from voting.services import pairwise as voting_pairwise
from voting.services import supports
from voting.services.errors import VotingError

# Dot-voting


def _dot_page(challenge, error=None, status=200, form=None):
    board = voting_dots.dot_board(current_user, challenge)
    template = "voting/_dot_board.html" if htmx and htmx.target == "dot-board" else "voting/dots.html"
    html = render_template(template, challenge=challenge, board=board, dot_error=error,
                           form=form or DotRoundForm(formdata=None),
                           can_manage=permissions.can_manage_voting(current_user, challenge))
    return vary_on_htmx((html, status))


@bp.get("/challenges/<slug>/dots")
def dots(slug):
    return _dot_page(_load_challenge(slug))


@bp.post("/challenges/<slug>/dots/<int:idea_id>/add")
def add_dot(slug, idea_id):
    return _move_dot(slug, idea_id, "add")


@bp.post("/challenges/<slug>/dots/<int:idea_id>/remove")
def remove_dot(slug, idea_id):
    return _move_dot(slug, idea_id, "remove")


def _move_dot(slug, idea_id, move):
    challenge = _load_challenge(slug)
    if (refusal := require_login()) is not None:
        return refusal
    round_ = voting_dots.current_dot_round(challenge)
    if round_ is None:
        abort(404)
    change = voting_dots.add_dot if move == "add" else voting_dots.remove_dot
    error = None
    try:
        database.commit(lambda: change(current_user, challenge, round_, db.session.get(Idea, idea_id)))
    except VotingError as problem:
        error = problem.message
    if htmx and htmx.target == "dot-board":
        return _dot_page(challenge, error, 422 if error else 200)
    if error:
        flash(error, "error")
    return vary_on_htmx(redirect(url_for("voting.dots", slug=challenge.slug)))


@bp.post("/challenges/<slug>/dots/open")
def open_dots(slug):
    return _dot_round(slug, "open")


@bp.post("/challenges/<slug>/dots/close")
def close_dots(slug):
    return _dot_round(slug, "close")


def _dot_round(slug, change):
    challenge = _load_challenge(slug)
    if (refusal := require_manager(challenge)) is not None:
        return refusal
    form = DotRoundForm()
    if change == "open" and not form.validate_on_submit():
        return _dot_page(challenge, form.budget.errors[0] if form.budget.errors else None, 422, form)
    return _switch_round(
        challenge, change,
        lambda: voting_dots.open_dot_round(current_user, challenge, form.budget.data),
        voting_dots.current_dot_round, voting_dots.close_dot_round,
        (f"Dot-voting is open: {form.budget.data} dots each.", "Dot-voting is closed; the board shows the final count."),
        "voting.dots",
    )


def _switch_round(challenge, change, open_round, current_round, close_round, messages, endpoint):
    """Open or close a dot-vote or pairwise round for the owner, then go back to its page."""
    try:
        if change == "open":
            open_round()
        else:
            close_round(current_user, challenge, current_round(challenge) or abort(404))
    except VotingError as problem:
        db.session.rollback()
        flash(problem.message, "error")
    else:
        db.session.commit()
        flash(messages[0 if change == "open" else 1], "success")
    return vary_on_htmx(redirect(url_for(endpoint, slug=challenge.slug)))


# Pairwise


def _pair_signer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kindling-pairwise")


def _pair_page(challenge, round_, error=None, status=200):
    pair = None
    if round_ is not None and round_.is_open and permissions.can_contribute(current_user):
        pair_ids = voting_pairwise.next_pair(current_user, round_)
        if pair_ids:
            ideas = supports.ideas_by_id(pair_ids)
            pair = {
                "left": ideas[pair_ids[0]],
                "right": ideas[pair_ids[1]],
                "token": _pair_signer().dumps([round_.id, current_user.id, *pair_ids]),
            }
    template = "voting/_pair.html" if htmx and htmx.target == "pairwise-pair" else "voting/pairwise.html"
    html = render_template(template, challenge=challenge, round=round_, pair=pair, pair_error=error,
                           can_manage=permissions.can_manage_voting(current_user, challenge))
    return vary_on_htmx((html, status))


@bp.get("/challenges/<slug>/pairwise")
def pairwise(slug):
    challenge = _load_challenge(slug)
    return _pair_page(challenge, voting_pairwise.current_pairwise_round(challenge))


@bp.post("/challenges/<slug>/pairwise")
def pairwise_vote(slug):
    challenge = _load_challenge(slug)
    if (refusal := require_login()) is not None:
        return refusal
    round_ = voting_pairwise.current_pairwise_round(challenge)
    if round_ is None:
        abort(404)
    error = None
    try:
        round_id, user_id, left_id, right_id = _pair_signer().loads(request.form.get("pair", ""))
    except (BadSignature, ValueError, TypeError):
        error = "That comparison expired. Here is a fresh pair."
    else:
        if round_id != round_.id or user_id != current_user.id:
            error = "That comparison expired. Here is a fresh pair."
    if error is None:
        choice = request.form.get("choice")
        winner = {"left": left_id, "right": right_id, "none": None}
        if choice not in winner:
            error = "Choose one of the two ideas, or “can't decide”."
        else:
            ideas = supports.ideas_by_id([left_id, right_id])
            try:
                database.commit(lambda: voting_pairwise.record_pairwise_vote(
                    current_user, challenge, round_, ideas.get(left_id), ideas.get(right_id), winner[choice]))
            except VotingError as problem:
                error = problem.message
    if htmx and htmx.target == "pairwise-pair":
        return _pair_page(challenge, round_, error, 422 if error else 200)
    if error:
        flash(error, "error")
    return vary_on_htmx(redirect(url_for("voting.pairwise", slug=challenge.slug)))


@bp.get("/challenges/<slug>/pairwise/ranking")
def pairwise_ranking(slug):
    challenge = _load_challenge(slug)
    round_ = voting_pairwise.current_pairwise_round(challenge)
    rows = voting_pairwise.pairwise_ranking(round_) if round_ is not None else []
    return render_template("voting/pairwise_ranking.html", challenge=challenge, round=round_, rows=rows,
                           can_manage=permissions.can_manage_voting(current_user, challenge))


@bp.post("/challenges/<slug>/pairwise/open")
def open_pairwise(slug):
    return _pairwise_round(slug, "open")


@bp.post("/challenges/<slug>/pairwise/close")
def close_pairwise(slug):
    return _pairwise_round(slug, "close")


def _pairwise_round(slug, change):
    challenge = _load_challenge(slug)
    if (refusal := require_manager(challenge)) is not None:
        return refusal
    return _switch_round(
        challenge, change, lambda: voting_pairwise.open_pairwise_round(current_user, challenge),
        voting_pairwise.current_pairwise_round, voting_pairwise.close_pairwise_round,
        ("The pairwise round is open: members can now compare ideas two by two.",
         "The pairwise round is closed; its ranking stays published."),
        "voting.pairwise",
    )
