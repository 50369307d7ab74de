"""Community pages: engagement plan, insights dashboards, recognition, invitations. Thin routes."""
import csv
import io
from datetime import datetime

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.extensions import db
from challenges.loading import visible_challenge
from community import charts
from community.forms import AlumniInviteForm, DecisionForm, InviteForm, PeriodForm, PlanForm, PreferencesForm
from community.models import SITE
from community.services import holdups, insights, matching, periods, plans, recognition
from community.services.tables import TABLE_NAMES, build_tables

bp = Blueprint("community", __name__)


def _challenge(slug):
    return visible_challenge(slug)


def _insights_challenge(slug):
    challenge = _challenge(slug)
    if not permissions.can_view_insights(current_user, challenge):
        abort(403)
    return challenge


# Engagement plan


@bp.route("/challenges/<slug>/plan", methods=["GET", "POST"])
@login_required
def edit_plan(slug):
    challenge = _challenge(slug)
    if not permissions.can_edit_plan(current_user, challenge):
        abort(403)
    plan = plans.get_plan(challenge.id)
    targets = {t.metric: t for t in plans.get_targets(challenge.id)}
    form = PlanForm(metrics=plans.metrics_for(challenge))
    if request.method == "GET":
        form.goal.data = plan.goal if plan else ""
        form.groups.data = plan.group_list if plan else []
        for metric, target in targets.items():
            if metric not in form.metrics:
                continue
            form[f"{metric}_value"].data = f"{target.value:g}"
            form[f"{metric}_due"].data = target.due_on
    elif form.validate_on_submit():
        try:
            plans.save_plan(current_user, challenge, form.goal.data, form.groups.data, form.targets)
        except plans.PlanError as error:  # the form checks the same rules; this is the service's last word
            form.form_errors.append(error.message)
        else:
            db.session.commit()
            flash("Engagement plan saved.", "success")
            return redirect(url_for("community.challenge_insights", slug=challenge.slug))
    definitions = {m: d for m, d in holdups.DEFINITIONS.items() if m in form.metrics}
    return render_template("community/plan.html", challenge=challenge, form=form, hold_up_definitions=definitions), \
        422 if form.errors else 200


@bp.app_template_global("community_challenge_part")
def community_challenge_part(challenge):
    """The public part of a challenge's plan and its announced contributor of the month (one query)."""
    return recognition.challenge_page_part(challenge.id)


# Dashboards


def _period(scope_id):
    form = PeriodForm(request.args)
    if not request.args:
        form.period.data = "30"
    if not form.validate():
        return form, None
    return form, periods.make_period(form.period.data or "30", form.start.data, form.end.data, scope_id)


def _dashboard(scope_id, challenge, csv_endpoint):
    form, period = _period(scope_id)
    if period is None:
        return render_template("community/insights.html", challenge=challenge, form=form, period=None,
                               csv_endpoint=csv_endpoint), 422
    result = insights.figures(scope_id, period)
    previous = insights.figures(scope_id, period.previous(), light=True) if period.key != "all" else None
    tables = build_tables(result, previous)
    progress = []
    if challenge is not None:
        progress = plans.target_progress(plans.get_targets(challenge.id), insights.plan_progress_figures(challenge))
    context = dict(
        challenge=challenge, form=form, period=period, result=result, previous=previous, tables=tables,
        charts=_charts(tables), definitions=insights.DEFINITIONS, csv_endpoint=csv_endpoint,
        plan=plans.get_plan(challenge.id) if challenge else None, progress=progress,
        period_args={k: v for k, v in request.args.items() if k in ("period", "start", "end")},
    )
    context.update(_recognition_context(scope_id, challenge))
    return render_template("community/insights.html", **context)


def _charts(tables):
    activity = tables["activity"]
    labels = [_axis_label(row[0]) for row in activity.rows]
    return {
        "activity": charts.stacked_bars(
            "chart-activity", activity.title,
            f"Stacked bars of ideas, comments and supports per {activity.headers[0].lower()}; "
            "the same numbers are in the table below.",
            labels, [("ideas", "chart-bar-1", [r[1] for r in activity.rows]),
                     ("comments", "chart-bar-2", [r[2] for r in activity.rows]),
                     ("supports", "chart-bar-3", [r[3] for r in activity.rows])]),
        "active": charts.bars(
            "chart-active", "Active members", "Bars of active members per period step; numbers in the table below.",
            labels, [r[4] for r in activity.rows], "chart-bar-4"),
        "funnel": charts.bars(
            "chart-funnel", "Funnel", "Bars for joined, first contribution and second contribution within 30 days.",
            ["Joined", "First", "Second"], [row[1] for row in tables["funnel"].rows[1:]], "chart-bar-2"),
    }


def _axis_label(text):
    """"2026-03-05" reads "5 Mar" under a bar; "2026-03" (a month) reads "Mar 2026"."""
    if len(text) == 10:
        return datetime.strptime(text, "%Y-%m-%d").strftime("%-d %b")
    return datetime.strptime(text, "%Y-%m").strftime("%b %Y")


def _recognition_context(scope_id, challenge):
    current = recognition.proposal(scope_id)
    form = DecisionForm()
    return {"recognition_template": "community/_recognition.html", "contributor": current, "decision_form": form,
            "score_points": recognition.SCORE_POINTS, "score_rules": recognition.SCORE_RULES,
            "can_decide": permissions.can_decide_contributor(current_user, challenge)}


@bp.get("/challenges/<slug>/insights")
@login_required
def challenge_insights(slug):
    challenge = _insights_challenge(slug)
    return _dashboard(challenge.id, challenge, "community.challenge_insights_csv")


@bp.get("/admin/insights")
@login_required
def site_insights():
    if not permissions.can_view_site_insights(current_user):
        abort(403)
    return _dashboard(SITE, None, "community.site_insights_csv")


def _csv(scope_id, table_name, filename):
    if table_name not in TABLE_NAMES:
        abort(404)
    form, period = _period(scope_id)
    if period is None:
        abort(400)
    result = insights.figures(scope_id, period)
    previous = insights.figures(scope_id, period.previous(), light=True) if period.key != "all" else None
    table = build_tables(result, previous)[table_name]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename}-{table_name}-{period.start.isoformat()}-{period.end.isoformat()}.csv"')
    return response


@bp.get("/challenges/<slug>/insights/<table_name>.csv")
@login_required
def challenge_insights_csv(slug, table_name):
    challenge = _insights_challenge(slug)
    return _csv(challenge.id, table_name, challenge.slug)


@bp.get("/admin/insights/<table_name>.csv")
@login_required
def site_insights_csv(table_name):
    if not permissions.can_view_site_insights(current_user):
        abort(403)
    return _csv(SITE, table_name, "site")


# Recognition


def _month(text):
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        abort(404)


def _decide(challenge, month_text, back):
    month = _month(month_text)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            recognition.decide(current_user, challenge, month, form.username.data, form.reason.data)
        except recognition.RecognitionError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("Contributor of the month announced.", "success")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    return redirect(back)


@bp.post("/challenges/<slug>/contributor/<month_text>")
@login_required
def decide_contributor(slug, month_text):
    challenge = _challenge(slug)
    if not permissions.can_decide_contributor(current_user, challenge):
        abort(403)
    return _decide(challenge, month_text, url_for("community.challenge_insights", slug=slug) + "#recognition")


@bp.post("/admin/contributor/<month_text>")
@login_required
def decide_site_contributor(month_text):
    if not permissions.can_decide_contributor(current_user, None):
        abort(403)
    return _decide(None, month_text, url_for("community.site_insights") + "#recognition")


@bp.post("/thanks/<kind>/<int:item_id>")
@login_required
def thank(kind, item_id):
    if kind not in ("idea", "comment"):
        abort(404)
    try:
        idea_id = recognition.thank(current_user, kind, item_id)
    except LookupError:
        abort(404)
    except PermissionError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("challenges.idea", idea_id=error.idea_id))
    db.session.commit()
    flash("Thanks sent.", "success")
    anchor = f"#comment-{item_id}" if kind == "comment" else ""
    return redirect(url_for("challenges.idea", idea_id=idea_id) + anchor)


def community_thanks(idea_id):
    """Thanks counts on an idea page and the viewer, loaded once per request whatever the number of comments."""
    cache = g.setdefault("community_thanks", {})
    if idea_id not in cache:
        viewer = current_user._get_current_object()  # asked of every item: not through the proxy each time
        cache[idea_id] = (*recognition.thanks_on_idea_page(idea_id, viewer), viewer)
    return cache[idea_id]


@bp.app_template_global("community_thanks_state")
def community_thanks_state(kind, item):
    """The thanks control of a public idea or comment: (count, thanked by the viewer, the viewer may thank).

    None for an item that is not public. One call per item: the template called three functions for it.
    """
    if not (item.is_public if kind == "idea" else item.status == "published"):
        return None
    counts, thanked, viewer = community_thanks(item.id if kind == "idea" else item.idea_id)
    mine = (kind, item.id) in thanked
    return counts.get((kind, item.id), 0), mine, not mine and bool(permissions.can_thank(viewer, item.author_id, True))


@bp.app_template_global("community_profile")
def community_profile(user):
    return {"badges": recognition.badges_of(user.id), "announcements": recognition.announcements_for(user.id)}


@bp.app_template_global("community_announced")
def community_announced(challenge=None):
    return recognition.announced(challenge.id if challenge else SITE)


# Bringing people in


@bp.route("/challenges/<slug>/could-help", methods=["GET", "POST"])
@login_required
def could_help(slug):
    challenge = _challenge(slug)
    if not permissions.can_invite(current_user, challenge):
        abort(403)
    candidates = matching.members_who_could_help(challenge)
    form = InviteForm()
    form.members.choices = {user.id: user.name for user, _, _ in candidates}
    if form.validate_on_submit():
        try:
            invited = matching.invite(current_user, challenge, form.members.data, form.message.data)
        except matching.InvitationError as error:
            form.members.errors = list(form.members.errors) + [error.message]
        else:
            db.session.commit()
            flash(f"Invited {len(invited)} member{'' if len(invited) == 1 else 's'}.", "success")
            return redirect(url_for("community.could_help", slug=slug))
    alumni_form = AlumniInviteForm(prefix="alumni")
    targets = matching.alumni_targets(current_user, challenge)
    alumni_form.target.choices = {c.id: c.title for c in targets}
    return render_template("community/could_help.html", challenge=challenge, candidates=candidates, form=form,
                           limit=matching.INVITE_LIMIT, alumni_form=alumni_form, targets=targets,
                           alumni_count=len(matching.alumni(challenge)) if targets else 0), \
        422 if form.errors else 200


@bp.post("/challenges/<slug>/invite-alumni")
@login_required
def invite_alumni(slug):
    challenge = _challenge(slug)
    if not permissions.can_manage_challenge(current_user, challenge):
        abort(403)
    targets = matching.alumni_targets(current_user, challenge)
    form = AlumniInviteForm(prefix="alumni")
    form.target.choices = {c.id: c.title for c in targets}
    if form.validate_on_submit():
        target = next((c for c in targets if c.id == form.target.data), None)
        try:
            invited = matching.invite_alumni(current_user, challenge, target, form.message.data)
        except matching.InvitationError as error:
            form.target.errors = list(form.target.errors) + [error.message]
        else:
            db.session.commit()
            flash(f"Invited {len(invited)} alumni to {target.title}.", "success")
            return redirect(url_for("community.could_help", slug=slug))
    candidates = matching.members_who_could_help(challenge)
    invite_form = InviteForm(formdata=None)
    invite_form.members.choices = {user.id: user.name for user, _, _ in candidates}
    return render_template("community/could_help.html", challenge=challenge, candidates=candidates,
                           form=invite_form, limit=matching.INVITE_LIMIT, alumni_form=form, targets=targets,
                           alumni_count=len(matching.alumni(challenge))), 422


@bp.route("/settings/community", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        form.no_invitations.data = matching.opted_out(current_user)
    elif form.validate_on_submit():
        matching.set_opt_out(current_user, form.no_invitations.data)
        db.session.commit()
        flash("Settings saved.", "success")
        return redirect(url_for("community.preferences"))
    return render_template("community/preferences.html", form=form), 422 if form.errors else 200


@bp.app_template_global("community_for_you")
def community_for_you():
    return matching.challenges_for_you(current_user)
