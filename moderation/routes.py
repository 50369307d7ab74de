"""The moderation desk (/moderation): the queue, decisions, the log, members' records and suspensions.

The members' side (flags, appeals, standing, appointed moderators) is in
moderation/people_routes.py, the admins' watched words in words_routes.py.

Routes are thin: load, check access, call one service, commit, then render the
fragment htmx asked for (by HX-Target) or redirect a plain form post.
"""
import csv
import io
import logging
from itertools import chain, islice

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required

from app import clock, permissions
from app.auth.models import User
from app.auth.services import get_by_username
from app.extensions import db
from app.forms import int_arg
from app.routing import hx_target, next_url, vary_on_htmx
from app.text import word_diff
from challenges.services import edits as challenge_edits
from challenges.services.errors import ChallengeError
from moderation.forms import ActionForm, LiftForm, SuspendForm
from moderation.models import CASE_REASONS, FLAG_REASONS, ITEM_KINDS, REJECT_REASONS
from moderation.route_helpers import first_error, load_item
from moderation.services import audit, decisions, edit_decisions, flags, items, sanctions
from moderation.services import queue as moderation_queue

logger = logging.getLogger(__name__)
CSV_FIRST_ROWS = 500
bp = Blueprint("moderation", __name__, url_prefix="/moderation")
bp.after_request(vary_on_htmx)


@bp.before_request
@login_required
def require_moderator():
    if not permissions.can_use_moderation_desk(current_user):
        abort(403)


@bp.context_processor
def _labels():
    return {"labels": audit.ACTION_LABELS}


@bp.app_template_global("moderation_queue_size")
def _queue_size():
    if "moderation_queue_size" not in g:
        g.moderation_queue_size = moderation_queue.queue_size(current_user)
    return g.moderation_queue_size


bp.add_app_template_global(word_diff, "word_diff")  # a pending edit's changes, in the queue and on the item page


@bp.app_template_global("moderation_flag_reasons")
def _flag_reasons():
    return FLAG_REASONS


@bp.app_template_global("moderation_rejection")
def _rejection(kind, item):
    """For the author of a rejected item: the reason, and whether they appealed."""
    found = items.load_item(kind, item.id)
    rejection = flags.rejection_of(found)
    reason = REJECT_REASONS.get(rejection.reason, rejection.reason) if rejection else ""
    return rejection, reason, flags.appeal_of(found)


@bp.app_template_filter("mod_age")
def _age(moment):
    """How long ago, in the largest unit that fits: "3 days", "5 hours"."""
    return _span((clock.now() - clock.aware(moment)).total_seconds()) if moment else ""


@bp.app_template_filter("mod_duration")
def _duration(seconds):
    return "—" if seconds is None else _span(seconds)


def _span(seconds):
    seconds = max(0, int(seconds))
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


@bp.app_template_filter("mod_state")
def _state(state):
    if not state:
        return "—"
    return ", ".join(f"{key.replace('_', ' ')}: {_plain(value)}" for key, value in sorted(state.items()))


def _plain(value):
    """A value as a person reads it: yes/no, not Python's True/False; words, not snake_case codes."""
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value) or "none"
    return str(value).replace("_", " ")


# The queue


@bp.get("/")
def queue():
    filters = {
        "kind": request.args.get("kind") if request.args.get("kind") in ITEM_KINDS else "",
        "reason": request.args.get("reason") if request.args.get("reason") in CASE_REASONS else "",
        "challenge_id": request.args.get("challenge", type=int_arg) or None,
        "sort": request.args.get("sort") if request.args.get("sort") in moderation_queue.QUEUE_SORTS else "oldest",
    }
    page = moderation_queue.queue_page(current_user, page=request.args.get("page", 1, type=int_arg), **filters)
    if not (filters["kind"] or filters["reason"] or filters["challenge_id"]):
        g.moderation_queue_size = page.total  # the nav bar shows the same number
    context = dict(page=page, filters=filters, reasons=CASE_REASONS, sorts=moderation_queue.QUEUE_SORTS,
                   reject_reasons=REJECT_REASONS)
    if hx_target() == "queue-list":
        return render_template("moderation/_queue_list.html", **context)
    return render_template("moderation/queue.html", challenges=moderation_queue.moderated_challenges(current_user),
                           **context)


@bp.get("/items/<kind>/<int:item_id>")
def item(kind, item_id):
    item = load_item(kind, item_id)
    if not permissions.can_moderate(current_user, item.challenge_id):
        abort(403)
    case = moderation_queue.open_case_for(kind, item_id)
    entry = moderation_queue.queue_entry(case.id) if case else None
    return render_template(
        "moderation/item.html", item=item, entry=entry, case=case, trail=moderation_queue.item_trail(item),
        pending=entry.pending_edit if entry else challenge_edits.pending_edit_of(kind, item_id),
        flags=moderation_queue.item_flags(item), reject_reasons=REJECT_REASONS,
        history=moderation_queue.author_histories({item.author_id})[item.author_id],
        author=db.session.get(User, item.author_id),
    )


@bp.post("/items/<kind>/<int:item_id>/<action>")
def act(kind, item_id, action):
    if action not in decisions.ITEM_ACTIONS + edit_decisions.EDIT_ACTIONS:
        abort(404)
    item = load_item(kind, item_id)
    if not permissions.can_moderate(current_user, item.challenge_id):
        abort(403)
    form = ActionForm()
    valid = form.validate()
    case_id = form.case_id.data
    if case_id and not moderation_queue.case_belongs_to(case_id, kind, item_id):
        abort(404)  # a case of another item is none of this form's business
    entry, error = None, None
    if not valid:
        error = first_error(form)
    else:
        try:
            said = dict(reason=form.reason.data or "", note=form.note.data or "")
            if action in edit_decisions.EDIT_ACTIONS:
                entry = edit_decisions.decide_edit(current_user, item, action, edit_id=form.edit_id.data,
                                                   edit_version=form.edit_version.data, **said)
            else:
                entry = decisions.decide(current_user, item, action, tags=form.tags.data or "",
                                         target_id=form.target_id.data, case_id=case_id,
                                         seen_status=form.seen_status.data or None, **said)
            decided = entry.action  # read before the commit expires it: nothing is read again after (issue 13)
            db.session.commit()
        except ChallengeError as problem:
            db.session.rollback()
            error = problem.message
    if case_id and hx_target() == f"case-{case_id}":
        queue_entry = moderation_queue.queue_entry(case_id)
        html = render_template(
            "moderation/_case.html", entry=queue_entry, decided=entry, error=error, reject_reasons=REJECT_REASONS,
        )
        if permissions.is_site_moderator(current_user):
            # The navigation badge and the queue's count follow each decision.
            html += render_template("moderation/_nav_count.html", waiting=_queue_size(), oob=True)
        return html, (422 if error and queue_entry and queue_entry.case.decided_at is None else 200)
    if error:
        flash(error, "error")
    else:
        flash(f"{audit.ACTION_LABELS[decided]}.", "success")
    return redirect(next_url(url_for("moderation.item", kind=kind, item_id=item_id)), 303)


# The log and figures


def _log_filters():
    return audit.LogFilters(
        moderator=request.args.get("moderator", "")[:30].strip(),
        member=request.args.get("member", "")[:30].strip(),
        challenge=request.args.get("challenge", "")[:90].strip(),
        action=request.args.get("action", "") if request.args.get("action") in audit.ACTION_LABELS else "",
    )


@bp.get("/log")
def log():
    filters = _log_filters()
    entries = audit.log_page(current_user, filters, request.args.get("page", 1, type=int_arg))
    context = dict(entries=entries, filters=filters, actions=audit.ACTION_LABELS)
    if hx_target() == "log-table":
        return render_template("moderation/_log_table.html", **context)
    return render_template("moderation/log.html", figures=moderation_queue.figures(current_user),
                           challenges=moderation_queue.moderated_challenges(current_user), **context)


@bp.get("/log.csv")
def log_csv():
    filters = _log_filters()
    viewer = current_user._get_current_object()
    # The first rows are read now, inside the request: a failing database gets the error page, not a
    # broken download. The rest is read by the generator in its own session, because the request's
    # session is closed once the response is returned.
    first = list(islice(audit.log_rows(viewer, filters), CSV_FIRST_ROWS))

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["id", "when", "moderator", "action", "item", "challenge_id", "member", "reason", "note",
                         "before", "after"])
        rest = islice(audit.log_rows(viewer, filters), CSV_FIRST_ROWS, None) if len(first) == CSV_FIRST_ROWS \
            else ()
        try:
            for entry in chain(first, rest):
                writer.writerow([
                    entry.id, entry.created_at.isoformat(), entry.actor.username if entry.actor else "system",
                    entry.action, f"{entry.item_kind}:{entry.item_id}" if entry.item_kind else "",
                    entry.challenge_id or "", entry.subject.username if entry.subject else "", entry.reason,
                    _csv_safe(entry.note), entry.before_json, entry.after_json,
                ])
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        except Exception:
            # The status line is sent already: all that is left is to say so in the log.
            logger.exception("the CSV export stopped part way")

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=moderation-log.csv"})


def _csv_safe(text):
    # A note starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


# Members: history and suspensions


@bp.get("/members/<username>")
def member(username):
    member = get_by_username(username) or abort(404)
    if not permissions.can_suspend(current_user):
        abort(403)
    return render_template(
        "moderation/member.html", member=member, history=audit.member_history(member),
        counts=moderation_queue.author_histories({member.id})[member.id], suspend_form=SuspendForm(),
        lift_form=LiftForm(),
    )


@bp.post("/members/<username>/suspend")
def suspend(username):
    member = get_by_username(username) or abort(404)
    form = SuspendForm()
    return _act_on_account(member, form, lambda: sanctions.suspend(current_user, member, form.days.data,
                                                                  form.reason.data),
                          f"{member.name} is suspended.")


@bp.post("/members/<username>/lift")
def lift(username):
    member = get_by_username(username) or abort(404)
    form = LiftForm()
    return _act_on_account(member, form, lambda: sanctions.lift_suspension(current_user, member, form.note.data),
                          f"{member.name} may take part again.")


def _act_on_account(member, form, action, success):
    if not permissions.can_suspend(current_user):
        abort(403)
    if not form.validate():
        flash(first_error(form), "error")
    else:
        try:
            action()
            db.session.commit()
            flash(success, "success")
        except ChallengeError as problem:
            db.session.rollback()
            flash(problem.message, "error")
    return redirect(url_for("moderation.member", username=member.username), 303)
