"""/admin/jobs: background jobs that failed for good, with their error and a retry button."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from app import jobs, permissions
from app.extensions import db
from app.outbox import OutboxJob

bp = Blueprint("admin_jobs", __name__, url_prefix="/admin/jobs")
SHOWN = 100


@bp.before_request
@login_required
def require_admin():
    if not permissions.can_see_jobs(current_user):
        abort(403)


@bp.get("/")
def index():
    failed = db.session.scalars(
        select(OutboxJob).where(OutboxJob.status == "failed").order_by(OutboxJob.id.desc()).limit(SHOWN)
    ).all()
    return render_template("admin/jobs.html", failed=failed, counts=jobs.counts(), shown=SHOWN,
                           max_attempts=jobs.MAX_ATTEMPTS)


@bp.post("/<int:job_id>/retry")
def retry(job_id):
    if not jobs.retry(job_id):
        abort(404)
    db.session.commit()
    jobs.dispatch()
    flash(f"Job {job_id} was sent again.", "success")
    return redirect(url_for("admin_jobs.index"))
