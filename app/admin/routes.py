from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.admin import services
from app.auth.models import User
from app.extensions import db
from app.forms import int_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@login_required
def require_admin():
    if not permissions.can_manage_roles(current_user):
        abort(403)


@bp.get("/")
def index():
    query = request.args.get("q", "")[:100]
    page = request.args.get("page", 1, type=int_arg)
    users = services.list_users(query, page)
    return render_template("admin/index.html", users=users, query=query, roles=services.ROLES)


@bp.post("/users/<int:user_id>/roles")
def set_role(user_id):
    user = db.session.get(User, user_id) or abort(404)
    role = request.form.get("role", "")
    granted = request.form.get("granted") == "1"
    try:
        services.set_role(current_user, user, role, granted)
    except services.RoleError as error:
        flash(str(error), "error")
    else:
        db.session.commit()
        verb = "is now" if granted else "is no longer"
        flash(f"{user.username} {verb} {role}.", "success")
    return redirect(url_for("admin.index"))
