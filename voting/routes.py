"""Supports, milestone ladders, dot-votes and pairwise rounds: thin routes.

Each htmx endpoint also serves the plain form: the fragment is chosen by
the element htmx targets (HX-Target), every answer says Vary: HX-Request,
and without JavaScript the same POST redirects back where it came from.
"""
from dataclasses import dataclass

import click
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app import database, permissions
from app.extensions import db, htmx, limiter
from app.routing import safe_next, vary_on_htmx
from challenges.loading import visible_challenge as _load_challenge
from voting.forms import LadderForm
from voting.services import dots as voting_dots
from voting.services import milestones as voting_milestones
from voting.services import periodic, supports
from voting.services.errors import VotingError

bp = Blueprint("voting", __name__)

# Support and withdraw draw on one allowance: 60 changes a minute per member.
support_limit = limiter.shared_limit("60 per minute", scope="supports", key_func=lambda: _support_key())


# Template helpers


@bp.app_template_global()
def supported_idea_ids(ideas):
    """The ids among `ideas` the current member supports, in one query."""
    return supports.supported_ids(current_user, [idea.id for idea in ideas])


@bp.app_template_global()
def idea_voting_state(idea, challenge):
    """Whether the current member supports `idea`, and its milestone progress (None off the ladder)."""
    return voting_milestones.voting_state(current_user, idea, challenge)


@dataclass
class SupportState:
    supported: bool
    action: str | None  # "support", "withdraw", or None when the button cannot act
    reason: str | None  # why not, for the member
    own: bool = False  # the member wrote the idea


@bp.app_template_global()
def support_state(idea, challenge, supported):
    # The member once, not through the current_user proxy at every check: twenty cards a page (issue 13).
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return SupportState(False, None, None)
    own = idea.author_id == user.id
    decision = (permissions.can_change_support if supported else permissions.can_support)(user, idea, challenge)
    if not decision:
        return SupportState(supported, None, decision.reason, own)
    return SupportState(supported, "withdraw" if supported else "support", None, own)


@bp.app_template_global()
def support_next():
    """Where a plain form goes back to: this page, or the page an htmx request came from."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    return request.form.get("next", "")


# Supports


def _load_idea(idea_id, for_vote=False):
    idea = supports.idea_with_challenge(idea_id, for_vote=for_vote)
    if idea is None or not permissions.can_view_idea(current_user, idea, idea.challenge):
        abort(404)
    return idea


def _support_key():
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"address:{request.remote_addr}"


def _support_fragment(idea):
    target = htmx.target if htmx else None
    if target == f"support-card-{idea.id}":
        return "voting/_idea_card_support.html"
    if target == f"support-{idea.id}":
        return "voting/_idea_support.html"
    return None


def _change_support(idea_id, action):
    idea_url = url_for("challenges.idea", idea_id=idea_id)
    if not current_user.is_authenticated:
        _load_idea(idea_id)  # hidden or missing: 404 for visitors too
        login_url = url_for("auth.login", next=idea_url)
        if htmx:
            response = make_response("", 204)
            response.headers["HX-Redirect"] = login_url
            return vary_on_htmx(response)
        flash("Log in to support ideas; you will come back to this one.", "info")
        return vary_on_htmx(redirect(login_url))
    back = safe_next(request.form.get("next"), idea_url)
    loaded = {}

    def work():
        # Loaded inside the write transaction, so what is checked is what is changed.
        idea = loaded["idea"] = _load_idea(idea_id, for_vote=True)
        if action == "support":
            return supports.support_idea(current_user, idea, idea.challenge, ip=request.remote_addr)
        return supports.withdraw_support(current_user, idea, idea.challenge)

    error = None
    # What was written is what the page shows: nothing is read again after the commit (issue 13).
    session = db.session()
    session.expire_on_commit = False
    try:
        database.commit(work)
    except VotingError as problem:
        error = problem.message
    finally:
        session.expire_on_commit = True
    idea = loaded["idea"]
    challenge = idea.challenge
    fragment = _support_fragment(idea)
    if fragment is None:
        if error:
            flash(error, "error")
        elif action == "support":
            flash(f"You support “{idea.title}”.", "success")
        else:
            flash(f"You no longer support “{idea.title}”.", "info")
        return vary_on_htmx(redirect(back))
    supported = supports.supports(current_user, idea) if error else action == "support"
    html = render_template(fragment, idea=idea, challenge=challenge, supported_ids={idea.id} if supported else set(),
                           support_error=error)
    return vary_on_htmx((html, 422 if error else 200))


@bp.post("/ideas/<int:idea_id>/support")
@support_limit
def support(idea_id):
    return _change_support(idea_id, "support")


@bp.post("/ideas/<int:idea_id>/support/withdraw")
@support_limit
def withdraw(idea_id):
    return _change_support(idea_id, "withdraw")


# Challenge-level pages


def require_manager(challenge):
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    if not permissions.can_manage_voting(current_user, challenge):
        abort(403)
    return None


def require_login():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.path))
    return None


@bp.route("/challenges/<slug>/milestones", methods=["GET", "POST"])
def milestones(slug):
    challenge = _load_challenge(slug)
    if (refusal := require_manager(challenge)) is not None:
        return refusal
    current = voting_milestones.ladder(challenge)
    form = LadderForm()
    error = change = asked = None
    if request.method == "GET":
        for row, step in zip(form.steps, current, strict=False):
            row.form.supporters.data, row.form.days.data = step.supporters, step.days
    elif form.validate_on_submit():
        steps, error = form.filled_steps()
        if steps is not None:
            # Saving takes two posts: the first says what the change will do,
            # the second (confirming those very numbers) saves it.
            asked = ",".join(f"{s}:{d}" for s, d in steps)
            try:
                if request.form.get("confirm") == asked:
                    voting_milestones.set_ladder(current_user, challenge, steps)
                else:
                    change = voting_milestones.preview_ladder(current_user, challenge, steps)
            except VotingError as problem:
                db.session.rollback()
                error = problem.message
            else:
                if change is None:
                    db.session.commit()
                    flash("The milestone ladder is saved.", "success")
                    return redirect(url_for("voting.milestones", slug=challenge.slug))
    status = 422 if (error or form.errors) else 200
    return render_template("voting/milestones.html", challenge=challenge, form=form, error=error,
                           change=change, asked=asked,
                           default=voting_milestones.DEFAULT_LADDER,
                           uses_ladder=voting_milestones.uses_ladder(challenge)), status


# Commands: `flask voting recount`, `flask voting tick`


@bp.cli.command("recount")
@click.option("--check", is_flag=True, help="Report drift without repairing it.")
def recount_command(check):
    """Recompute supporter counts and dot tallies from their rows; report and repair drift."""
    drift = supports.recount_supports(fix=not check)
    for idea_id, stored, actual in drift:
        click.echo(f"idea {idea_id}: stored {stored}, rows {actual}")
    dots_wrong = 0 if check else voting_dots.recount_dots()
    if not check:
        db.session.commit()
    verb = "found" if check else "repaired"
    click.echo(f"{len(drift)} supporter count(s) {verb}; {dots_wrong} dot tally/ballot row(s) repaired.")


@bp.cli.command("tick")
def tick_command():
    """Start ladders, expire ideas past a deadline, send complete ones to review, rescore hot, flag anomalies."""
    from app import jobs

    result = periodic.tick()
    db.session.commit()
    jobs.dispatch()
    click.echo(
        f"ladders started {result['started']}, expired {len(result['expired'])}, "
        f"to review {len(result['completed'])}, hot rescored {result['rescored']}, "
        f"anomalies {len(result['anomalies'])}"
    )


from voting import round_routes  # noqa: E402, F401  (the dot-vote and pairwise pages, on this blueprint)
