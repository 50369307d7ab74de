"""The members' side of moderation: flagging, appealing, one's own standing, and owners appointing moderators.

Thin routes: load what the member may see (404 otherwise), call one service, commit, redirect or re-render.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.auth.models import User
from app.auth.services import get_by_username
from app.extensions import db
from app.permissions import Refused
from app.routing import hx_target, next_url, vary_on_htmx
from challenges.loading import visible_challenge
from challenges.services.errors import ChallengeError
from moderation.forms import AppealForm, AppointForm, FlagForm
from moderation.models import FLAG_REASONS, REJECT_REASONS
from moderation.route_helpers import first_error, visible_item
from moderation.services import audit, flags, sanctions

bp = Blueprint("moderation_people", __name__)
bp.after_request(vary_on_htmx)


# Members' side: flags, appeals, their standing


def _submit(form, action):
    """Validate, run the service, commit. Returns None, or the message for the member."""
    if not form.validate():
        return first_error(form)
    try:
        action()
    except Refused as problem:
        db.session.rollback()
        return problem.message
    db.session.commit()
    return None


def _item_url(item):
    return url_for("challenges.idea", idea_id=item.idea.id)


@bp.route("/flag/<kind>/<int:item_id>", methods=["GET", "POST"])
@login_required
def flag(kind, item_id):
    item = visible_item(kind, item_id)
    form = FlagForm()
    error = None
    if request.method == "POST":
        error = _submit(form, lambda: flags.flag_item(current_user, item, form.reason.data or "",
                                                      form.note.data or ""))
        flagged = error is None
        if hx_target() == f"flag-{kind}-{item_id}":
            return render_template("moderation/_flag_button.html", item=item.obj, kind=kind, flagged=flagged,
                                   flag_error=error, challenge_id=item.challenge_id), 422 if error else 200
        if flagged:
            flash("Thank you: the moderators will look at it.", "success")
            return redirect(next_url(_item_url(item)), 303)
    return render_template("moderation/flag.html", item=item, form=form, error=error,
                           reasons=FLAG_REASONS), 422 if error else 200


@bp.route("/appeal/<kind>/<int:item_id>", methods=["GET", "POST"])
@login_required
def appeal(kind, item_id):
    item = visible_item(kind, item_id)
    if item.author_id != current_user.id:
        abort(403)
    form = AppealForm()
    error = None
    if request.method == "POST":
        error = _submit(form, lambda: flags.appeal(current_user, item, form.message.data))
        if error is None:
            flash("Your appeal is with the moderators.", "success")
            return redirect(url_for("moderation_people.standing"), 303)
    return render_template("moderation/appeal.html", item=item, form=form, error=error,
                           rejection=flags.rejection_of(item), existing=flags.appeal_of(item),
                           reasons=REJECT_REASONS), 422 if error else 200


@bp.get("/my/moderation")
@login_required
def standing():
    return render_template("moderation/standing.html", decisions=audit.decisions_about(current_user),
                           appealed=flags.appealed_items(current_user), labels=audit.ACTION_LABELS,
                           reasons=REJECT_REASONS)


# Owners appoint moderators for their challenge


@bp.route("/challenges/<slug>/moderators", methods=["GET", "POST"])
@login_required
def moderators(slug):
    challenge = visible_challenge(slug)
    if not permissions.can_appoint_moderators(current_user, challenge):
        abort(403)
    form = AppointForm()
    if request.method == "POST":
        if form.validate():
            try:
                sanctions.appoint_moderator(current_user, challenge, get_by_username(form.username.data or ""))
                db.session.commit()
                flash(f"{form.username.data} now moderates this challenge.", "success")
                return redirect(url_for("moderation_people.moderators", slug=slug), 303)
            except ChallengeError as problem:
                db.session.rollback()
                form.username.errors = [problem.message]
    return render_template("moderation/moderators.html", challenge=challenge, form=form,
                           moderators=sanctions.challenge_moderators(challenge)), 422 if form.errors else 200


@bp.post("/challenges/<slug>/moderators/<int:user_id>/remove")
@login_required
def remove_moderator(slug, user_id):
    challenge = visible_challenge(slug)
    if not permissions.can_appoint_moderators(current_user, challenge):
        abort(403)
    member = db.session.get(User, user_id) or abort(404)
    try:
        sanctions.dismiss_moderator(current_user, challenge, member)
        db.session.commit()
        flash(f"{member.name} no longer moderates this challenge.", "success")
    except ChallengeError as problem:
        db.session.rollback()
        flash(problem.message, "error")
    return redirect(url_for("moderation_people.moderators", slug=slug), 303)


