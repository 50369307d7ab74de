"""The notification centre, the unread count, preferences and unsubscribe links."""
from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.database import writing
from app.extensions import csrf, db
from app.forms import int_arg
from challenges.holdups.services.zones import member_zone
from notifications.models import DELIVERIES, Notification
from notifications.services import centre, digests, kinds
from notifications.services.emails import read_unsubscribe_token

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    page = centre.centre_page(current_user, request.args.get("page", 1, type=int_arg))
    return render_template("notifications/index.html", page=page)


@bp.get("/notifications/count")
def count():
    """The navigation bar's unread count, polled by htmx: 304 while it has not changed."""
    unread = current_user.unread_notifications if current_user.is_authenticated else 0
    response = make_response(render_template("notifications/_nav_link.html", polled=True))
    response.set_etag(f"unread-{current_user.get_id() or 0}-{unread}")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Vary"] = "Cookie, HX-Request"
    return response.make_conditional(request)


def _own(notification_id):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    return notification


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_one(notification_id):
    """Opening a notification marks it read and leads to what it is about."""
    notification = _own(notification_id)
    target = notification.url or url_for("notifications.index")
    if notification.is_unread:
        db.session.commit()  # end the read-only transaction; marking read writes
        with writing():
            centre.mark_read(current_user, notification)
            db.session.commit()
    return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("notifications.index"))


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def read_one(notification_id):
    notification = _own(notification_id)
    if notification.idea_id:
        centre.mark_group_read(current_user, notification.idea_id)
    else:
        centre.mark_read(current_user, notification)
    db.session.commit()
    return redirect(url_for("notifications.index", page=request.form.get("page", 1, type=int_arg)))


@bp.post("/notifications/read-all")
@login_required
def read_all():
    marked = centre.mark_all_read(current_user)
    db.session.commit()
    flash(f"{marked} notification{'s' if marked != 1 else ''} marked read." if marked else "Nothing unread.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    chosen = kinds.preferences_of(current_user.id)
    errors = {}
    if request.method == "POST":
        submitted = {kind: request.form.get(kind, "") for kind in kinds.KINDS}
        errors = {kind: "Choose immediately, daily digest, weekly digest or off."
                  for kind, value in submitted.items() if value not in DELIVERIES}
        if not errors:
            kinds.set_preferences(current_user, submitted)
            db.session.commit()
            flash("Your notification settings are saved.", "success")
            return redirect(url_for("notifications.settings"))
        chosen.update({k: v for k, v in submitted.items() if v in DELIVERIES})
    response = make_response(render_template("notifications/settings.html", chosen=chosen, errors=errors,
                                              kinds=kinds.KINDS, labels=kinds.DELIVERY_LABELS,
                                              digest_hour=digests.DIGEST_HOUR,
                                              zone_name=member_zone(current_user) or "UTC"))
    return response, (422 if errors else 200)


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no session; the signed token is the proof
def unsubscribe(token):
    found = read_unsubscribe_token(token)
    if found is None:
        return render_template("notifications/unsubscribe.html", invalid=True, token=token), 404
    user_id, unsubscribed_kinds = found
    from app.auth.models import User

    user = db.session.get(User, user_id) or abort(404)
    labels = [kinds.KINDS[kind][0] for kind in unsubscribed_kinds]
    if request.method == "POST":
        kinds.turn_off(user.id, unsubscribed_kinds)
        db.session.commit()
        return render_template("notifications/unsubscribe.html", done=True, labels=labels, token=token)
    # GET only asks: link checkers and previews open links without meaning to unsubscribe.
    return render_template("notifications/unsubscribe.html", labels=labels, token=token)
