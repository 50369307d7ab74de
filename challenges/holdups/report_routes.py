"""A hold-up's report (/challenges/<slug>/report): what the session produced, its Markdown download,
promoting notes and clusters to ideas, and the owner's follow-up. Same blueprint as the board."""
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.extensions import db
from app.forms import int_arg
from challenges.forms import EmptyForm
from challenges.holdups.forms import CreditForm, FollowUpForm
from challenges.holdups.live_routes import _item, _viewer
from challenges.holdups.models import Cluster, Note
from challenges.holdups.routes import _field_error, _holdup, _plain_time, _refusals_as_403, bp
from challenges.holdups.services import HoldupError, report


def _report_context(challenge, holdup, mine, follow_up_form=None):
    return dict(challenge=challenge, holdup=holdup, registration=mine,
                report=report.build_report(challenge, holdup) if holdup.has_ended else None,
                can_promote=permissions.can_promote_to_ideas(current_user, challenge, holdup),
                can_follow_up=permissions.can_manage_holdup(current_user, challenge) and holdup.has_ended,
                follow_up_form=follow_up_form or FollowUpForm(formdata=None, follow_up=holdup.follow_up),
                credit_form=CreditForm(formdata=None, credited=mine.credited if mine else True),
                empty_form=EmptyForm())


@bp.get("/challenges/<slug>/report")
def report_page(slug):
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    return render_template("holdups/report.html", **_report_context(challenge, holdup, mine))


@bp.get("/challenges/<slug>/report.md")
def report_markdown(slug):
    challenge, holdup = _holdup(slug)
    _viewer(challenge, holdup)
    if not holdup.has_ended:
        abort(404)
    text = report.report_markdown(report.build_report(challenge, holdup), _plain_time)
    response = Response(text, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'attachment; filename="{challenge.slug}-report.md"'
    return response


@bp.post("/challenges/<slug>/report/promote")
@login_required
@_refusals_as_403
def promote(slug):
    challenge, holdup = _holdup(slug)
    _viewer(challenge, holdup)
    if not EmptyForm().validate_on_submit():
        abort(400)
    kind, target = request.form.get("kind"), request.form.get("target_id", type=int_arg) or 0
    try:
        if kind == "note":
            idea = report.promote_note(current_user, challenge, holdup, _item(Note, challenge, target))
        elif kind == "cluster":
            idea = report.promote_cluster(current_user, challenge, holdup, _item(Cluster, challenge, target))
        else:
            abort(404)
    except HoldupError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("It is now an idea of the challenge." if idea.is_public else
              "It is now an idea; it waits for a moderator before it is public.", "success")
    return redirect(url_for("holdups.report_page", slug=slug), 303)


@bp.post("/challenges/<slug>/report/follow-up")
@login_required
@_refusals_as_403
def follow_up(slug):
    challenge, holdup = _holdup(slug)
    mine = _viewer(challenge, holdup)
    form = FollowUpForm()
    if form.validate_on_submit():
        try:
            report.post_follow_up(current_user, challenge, holdup, form.follow_up.data)
        except HoldupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash("Follow-up posted: participants see it here and on their profile.", "success")
            return redirect(url_for("holdups.report_page", slug=slug), 303)
    return render_template("holdups/report.html", **_report_context(challenge, holdup, mine, form)), 422


