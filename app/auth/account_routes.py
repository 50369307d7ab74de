"""The account page (/account: password, log out everywhere) and password reset by e-mail."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from app.auth import recovery
from app.auth.account_forms import PasswordChangeForm, ResetForm, ResetRequestForm
from app.auth.routes import end_every_session
from app.auth.services import AccountError, username_key
from app.extensions import db, limiter
from app.request_info import client_address

bp = Blueprint("account", __name__)

RESET_SENT = ("If an account uses that name or address, we have sent it a link to choose a new password. "
              "Check your inbox; the link works once, within the hour.")


def _resets_per_hour():
    return f"{current_app.config['PASSWORD_RESETS_PER_HOUR']} per hour"


def _reset_key_for_account():
    return "reset-account:" + username_key(request.form.get("login", "")[:254].strip().lower())


@bp.get("/account")
@login_required
def page():
    return render_template("auth/account.html", form=PasswordChangeForm())


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            recovery.change_password(current_user, form.current_password.data, form.password.data)
        except AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # this device stays logged in, under the new generation
            flash("Your password is changed. Your other sessions have ended.", "success")
            return redirect(url_for("account.page"))
    return render_template("auth/account.html", form=form), 422


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    end_every_session()
    flash("You are logged out on every device.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/reset", methods=["GET", "POST"])
@limiter.limit(_resets_per_hour, methods=["POST"], key_func=client_address)
@limiter.limit(_resets_per_hour, methods=["POST"], key_func=_reset_key_for_account)
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        recovery.request_password_reset(form.login.data, request.host_url)
        db.session.commit()
        flash(RESET_SENT, "info")
        return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset(token):
    if len(token) > 200:
        abort(404)
    if recovery.user_for_reset_token(token) is None:
        return render_template("auth/reset_expired.html"), 404
    form = ResetForm()
    if form.validate_on_submit():
        try:
            recovery.reset_password(token, form.password.data)
        except AccountError as error:
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            session.clear()
            logout_user()
            flash("Your password is changed. Log in with the new one.", "success")
            return redirect(url_for("auth.login"))
    status = 422 if form.errors else 200
    return render_template("auth/reset.html", form=form, token=token), status
