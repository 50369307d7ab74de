from flask import Blueprint, render_template, request
from flask_login import current_user

from challenges import services
from challenges.models import FORMATS, PHASE_LABELS

bp = Blueprint("challenges", __name__)


@bp.get("/challenges")
def index():
    filters = {
        "phase": request.args.get("phase") or None,
        "tag": request.args.get("tag") or None,
        "format": request.args.get("format") or None,
        "sort": request.args.get("sort") if request.args.get("sort") in services.CHALLENGE_SORTS else "newest",
    }
    page = services.list_challenges(current_user, page=request.args.get("page", 1, type=int), **filters)
    return render_template(
        "challenges/index.html", page=page, filters=filters, phases=PHASE_LABELS, formats=FORMATS,
        sorts=services.CHALLENGE_SORTS,
    )
