"""Community pages: engagement plan, insights dashboards, recognition, invitations. Thin routes."""
import csv
import io

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.extensions import db
from challenges import services as challenge_services
from community import charts
from community.forms import PeriodForm, PlanForm
from community.models import SITE
from community.services import insights, plans
from community.services.tables import TABLE_NAMES, build_tables

bp = Blueprint("community", __name__)


def _challenge(slug):
    challenge = challenge_services.get_challenge(slug)
    if challenge is None or not permissions.can_view_challenge(current_user, challenge):
        abort(404)
    return challenge


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
    form = PlanForm()
    if request.method == "GET":
        form.goal.data = plan.goal if plan else ""
        form.groups.data = plan.group_list if plan else []
        for metric, target in targets.items():
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
    return render_template("community/plan.html", challenge=challenge, form=form), 422 if form.errors else 200


@bp.app_template_global("community_plan")
def community_plan(challenge):
    """The public part of a challenge's plan, for the challenge page."""
    return plans.get_plan(challenge.id)


# Dashboards


def _period(scope_id):
    form = PeriodForm(request.args)
    if not request.args:
        form.period.data = "30"
    if not form.validate():
        return form, None
    return form, insights.make_period(form.period.data or "30", form.start.data, form.end.data, scope_id)


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
    labels = [row[0] for row in activity.rows]
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


def _recognition_context(scope_id, challenge):
    """Filled in by the recognition step; empty until then."""
    return {}


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
