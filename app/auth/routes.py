from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app import images, permissions
from app.auth import services
from app.auth.forms import LoginForm, ProfileForm, RegisterForm
from app.extensions import db, limiter
from app.request_info import client_address

bp = Blueprint("auth", __name__)


def _safe_next(target):
    """Only same-site paths: never let ?next= send people elsewhere."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_failures():
    return f"{current_app.config['LOGIN_FAILURES_PER_MINUTE']} per minute"


def _login_failures_per_address():
    return f"{current_app.config['LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE']} per minute"


def _account_and_address():
    # Failures count per account *and* address: someone guessing from elsewhere cannot lock the owner out.
    return f"login:{client_address()}:{services.username_key(request.form.get('login', '')[:254].strip())}"


def _registrations():
    return f"{current_app.config['REGISTRATIONS_PER_HOUR']} per hour"


def _start_session(user, remember):
    next_url = session.get("next")
    session.clear()  # a fresh session on login: no fixation
    login_user(user, remember=remember)
    return _safe_next(next_url)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_registrations, methods=["POST"], deduct_when=lambda response: response.status_code == 302)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("challenges.home"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_user(form.username.data, form.email.data, form.password.data)
        except services.AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            _start_session(user, remember=False)
            flash(f"Welcome to Kindling, {user.username}! Tell people about yourself.", "success")
            return redirect(url_for("auth.edit_profile", username=user.username))
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_failures, methods=["POST"], key_func=_account_and_address,
               deduct_when=lambda response: response.status_code != 302)
@limiter.limit(_login_failures_per_address, methods=["POST"], key_func=client_address,
               deduct_when=lambda response: response.status_code != 302)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("challenges.home"))
    if request.method == "GET" and _safe_next(request.args.get("next")):
        session["next"] = request.args["next"]
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append("That username or e-mail and password do not match.")
        else:
            db.session.commit()
            next_url = _start_session(user, remember=form.remember.data)
            flash(f"Welcome back, {user.name}.", "success")
            return redirect(next_url or url_for("challenges.home"))
    status = 422 if form.errors else 200
    return render_template("auth/login.html", form=form), status


def end_every_session():
    """Log out here, and make every copy of this account's session and remember-me cookies useless."""
    if current_user.is_authenticated:
        services.end_sessions(current_user)
        db.session.commit()
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion in the session


@bp.route("/logout", methods=["POST"])
def logout():
    end_every_session()
    flash("You are logged out.", "info")
    return redirect(url_for("challenges.home"))


@bp.get("/users/<username>")
def profile(username):
    user = services.get_by_username(username) or abort(404)
    return render_template(
        "auth/profile.html", user=user, can_edit=permissions.can_edit_profile(current_user, user)
    )


@bp.route("/users/<username>/edit", methods=["GET", "POST"])
@login_required
def edit_profile(username):
    user = services.get_by_username(username) or abort(404)
    if not permissions.can_edit_profile(current_user, user):
        abort(403)
    form = ProfileForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.skills.data = [t.name for t in user.skills]
        form.interests.data = [t.name for t in user.interests]
    if form.validate_on_submit():
        services.update_profile(
            user,
            display_name=form.display_name.data,
            bio=form.bio.data,
            skills=form.skills.data,
            interests=form.interests.data,
        )
        images.apply(user, "avatar_file", form.avatar_image, form.remove_avatar,
                     permissions.can_upload_avatar(current_user, user))
        db.session.commit()
        flash("Your profile is saved.", "success")
        return redirect(url_for("auth.profile", username=user.username))
    status = 422 if form.errors else 200
    return render_template("auth/edit_profile.html", form=form, user=user), status
