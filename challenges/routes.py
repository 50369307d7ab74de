"""Challenge, idea and comment pages. Thin: load, check, call a service, commit, render."""
import hashlib
import random
from datetime import datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from app import clock, images, permissions
from app.extensions import db, htmx
from app.forms import int_arg
from app.page_cache import visitor_cached
from app.routing import vary_on_htmx
from challenges.forms import ChallengeForm, EmptyForm, PhaseForm, ReviewForm
from challenges.home import member_home
from challenges.loading import visible_challenge, visible_idea
from challenges.models import FORMATS, IDEA_PUBLIC, IDEA_STATUS_LABELS, PHASE_LABELS
from challenges.services import challenges as challenge_phases
from challenges.services import errors as challenge_errors
from challenges.services import follows, listings, screening
from challenges.services import ideas as challenge_ideas

bp = Blueprint("challenges", __name__)
VISITOR_SEED_SECONDS = 600


def form_error(form, error):
    """Put a service's ChallengeError beside the field it names (or on top); a schedule names several."""
    for name, message in getattr(error, "problems", None) or [(error.field, error.message)]:
        target = getattr(form, name, None) if name else None
        if target is not None:
            target.errors = list(target.errors) + [message]
        else:
            form.form_errors.append(message)


def _visitor_seed():
    """The random order's starting point, and the seed to carry in the URL (None: the session keeps it).

    A member's seed lives in their session, for every page and visit. A
    visitor gets no cookie for it (issue 13): their seed rides in the paging
    links, starting from one that changes every ten minutes, so the page stays
    cacheable and every idea still takes its turn at the top."""
    if "idea_seed" in session:
        return session["idea_seed"], None
    if current_user.is_authenticated:
        session["idea_seed"] = random.randrange(challenge_ideas.RANDOM_KEY_SPACE)
        return session["idea_seed"], None
    seed = request.args.get("seed", type=int_arg)
    if seed is None or not 0 <= seed < challenge_ideas.RANDOM_KEY_SPACE:
        window = int(clock.now().timestamp()) // VISITOR_SEED_SECONDS
        digest = hashlib.blake2b(f"{window}".encode(), key=current_app.secret_key.encode()[:64], digest_size=8)
        seed = int.from_bytes(digest.digest(), "big") % challenge_ideas.RANDOM_KEY_SPACE
    return seed, seed


# Challenges


@bp.get("/")
@visitor_cached
def home():
    if current_user.is_authenticated:
        # What changed is counted from the member's previous look at this page.
        seen = session.get("home_seen_at")
        mine = member_home(current_user, since=datetime.fromisoformat(seen) if seen else None,
                           open_challenges=listings.open_challenges())
        session["home_seen_at"] = clock.now().isoformat()
        return render_template("home/member.html", home=mine)
    return render_template("home/index.html", challenges=listings.open_challenges(),
                           ideas=listings.momentum_ideas())


@bp.app_template_global()
def member_ideas(member):
    """The member's ideas the current viewer may see (for profiles)."""
    return listings.ideas_by_author(current_user, member)


@bp.get("/challenges")
@visitor_cached
def index():
    filters = {
        "phase": request.args.get("phase") if request.args.get("phase") in PHASE_LABELS else None,
        "tag": (request.args.get("tag") or "").strip().lower()[:32] or None,
        "format": request.args.get("format") if request.args.get("format") in FORMATS else None,
        "sort": request.args.get("sort") if request.args.get("sort") in listings.CHALLENGE_SORTS else "newest",
    }
    page = listings.list_challenges(current_user, page=request.args.get("page", 1, type=int_arg), **filters)
    context = dict(page=page, filters=filters, phases=PHASE_LABELS, formats=FORMATS, sorts=listings.CHALLENGE_SORTS)
    if htmx and htmx.target == "challenge-list":
        return vary_on_htmx(render_template("challenges/_challenge_list.html", **context))
    return vary_on_htmx(render_template("challenges/index.html", **context))


def _schedule(form):
    return challenge_phases.Schedule(
        submission_at=challenge_phases.day_start(form.submission_at.data),
        voting_at=challenge_phases.day_start(form.voting_at.data) if form.voting_at.data else None,
        review_at=challenge_phases.day_start(form.review_at.data),
        results_at=challenge_phases.day_start(form.results_at.data),
        closed_at=challenge_phases.day_start(form.closed_at.data) if form.closed_at.data else None,
    )


def _challenge_fields(form):
    return dict(
        title=form.title.data,
        summary=form.summary.data,
        problem=form.problem.data,
        norms=form.norms.data,
        format=form.format.data,
        is_open=form.is_open.data,
        moderation_policy=form.moderation_policy.data,
        tags=form.tags.data,
        schedule=_schedule(form),
    )


@bp.route("/challenges/new", methods=["GET", "POST"])
@login_required
def new():
    form = ChallengeForm()
    if request.method == "GET":
        today = clock.now().date()
        from datetime import timedelta

        form.submission_at.data = today
        form.voting_at.data = today + timedelta(days=28)
        form.review_at.data = today + timedelta(days=56)
        form.results_at.data = today + timedelta(days=70)
    if form.validate_on_submit():
        try:
            challenge = challenge_phases.create_challenge(current_user, **_challenge_fields(form))
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            images.apply(challenge, "cover_file", form.cover_image, form.remove_cover,
                         permissions.can_upload_cover(current_user, challenge))
            db.session.commit()
            flash("Your challenge is saved as a draft. Only you can see it until you publish it.", "success")
            return redirect(url_for("challenges.show", slug=challenge.slug))
    return render_template("challenges/form.html", form=form, challenge=None), 422 if form.errors else 200


@bp.route("/challenges/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug):
    challenge = visible_challenge(slug)
    if not permissions.can_manage_challenge(current_user, challenge):
        abort(403)
    form = ChallengeForm(obj=challenge if request.method == "GET" else None)
    if request.method == "GET":
        form.tags.data = [t.name for t in challenge.tags]
        for name in ("submission_at", "voting_at", "review_at", "results_at", "closed_at"):
            moment = clock.aware(getattr(challenge, name))
            getattr(form, name).data = moment.date() if moment else None
    if form.validate_on_submit():
        try:
            challenge_phases.update_challenge(current_user, challenge, **_challenge_fields(form))
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            images.apply(challenge, "cover_file", form.cover_image, form.remove_cover,
                         permissions.can_upload_cover(current_user, challenge))
            db.session.commit()
            flash("Challenge saved.", "success")
            return redirect(url_for("challenges.show", slug=challenge.slug))
    return render_template("challenges/form.html", form=form, challenge=challenge), 422 if form.errors else 200


@bp.post("/challenges/<slug>/publish")
@login_required
def publish(slug):
    challenge = visible_challenge(slug)
    if EmptyForm().validate_on_submit():
        try:
            challenge_phases.publish_challenge(current_user, challenge)
        except challenge_errors.ChallengeError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("Published: everyone can now see your challenge.", "success")
    return redirect(url_for("challenges.show", slug=slug))


@bp.post("/challenges/<slug>/phase")
@login_required
def move_phase(slug):
    challenge = visible_challenge(slug)
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            challenge_phases.move_phase(current_user, challenge, form.phase.data)
        except challenge_errors.ChallengeError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(f"The challenge is now in phase “{challenge.phase_label}”.", "success")
    return redirect(url_for("challenges.show", slug=slug))


@bp.post("/challenges/<slug>/follow")
@login_required
def follow_challenge(slug):
    challenge = visible_challenge(slug)
    return set_following(challenge, "challenge-follow", "challenges/_follow_challenge.html",
                          url_for("challenges.show", slug=slug), challenge=challenge)


def set_following(target, fragment_id, template, back, **context):
    following = request.form.get("follow") != "0"
    follows.set_following(current_user, target, following)
    db.session.commit()
    if htmx and htmx.target == fragment_id:
        return vary_on_htmx(render_template(template, following=following, **context))
    return redirect(back)


@bp.post("/challenges/<slug>/norms")
@login_required
def accept_norms(slug):
    challenge = visible_challenge(slug)
    if EmptyForm().validate_on_submit():
        screening.accept_norms(current_user, challenge)
        db.session.commit()
        flash("Thank you: you accepted this challenge’s norms.", "success")
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/challenges/")
                    else url_for("challenges.show", slug=slug))


def _idea_list_args(challenge):
    sort = request.args.get("sort")
    if sort not in listings.IDEA_SORTS:
        sort = listings.default_sort(challenge)
    status = request.args.get("status") or None
    if status not in IDEA_STATUS_LABELS:
        status = None
    lap = request.args.get("lap", 0, type=int_arg)
    seed, url_seed = _visitor_seed() if sort == "random" else (0, None)
    return url_seed, dict(
        sort=sort,
        page=request.args.get("page", 1, type=int_arg),
        tag=(request.args.get("tag") or "").strip().lower()[:32] or None,
        status=status,
        seed=seed,
        after=request.args.get("after", type=int_arg),
        lap=1 if lap == 1 else 0,
    )


@bp.get("/challenges/<slug>")
@visitor_cached
def show(slug):
    challenge = visible_challenge(slug)
    url_seed, args = _idea_list_args(challenge)
    page = listings.list_ideas(current_user, challenge, **args)
    context = dict(
        challenge=challenge, page=page, args=args, url_seed=url_seed, sorts=listings.IDEA_SORTS,
        statuses={s: IDEA_STATUS_LABELS[s] for s in IDEA_PUBLIC},
    )
    if htmx and htmx.target == "idea-list":
        return vary_on_htmx(render_template("challenges/_idea_list.html", **context))
    listings.load_challenge_tags(challenge)
    return vary_on_htmx(render_template(
        "challenges/show.html",
        **context,
        following=follows.follows_challenge(current_user, challenge),
        accepted_norms=screening.has_accepted_norms(current_user, challenge),
        submission_problem=permissions.submission_verdict(challenge).reason,
        # A form puts a token in the session: a visitor, who sees no form here, gets no cookie (issue 13).
        phase_form=PhaseForm(phase=challenge.phase) if current_user.is_authenticated else None,
        action_form=EmptyForm() if current_user.is_authenticated else None,
    ))


@bp.get("/challenges/<slug>/results")
def results(slug):
    challenge = visible_challenge(slug)
    announced = challenge.phase in ("results", "closed")
    ideas = listings.result_ideas(challenge) if permissions.can_see_results(current_user, challenge) else []
    return render_template("challenges/results.html", challenge=challenge, ideas=ideas, announced=announced)


@bp.get("/challenges/<slug>/review")
@login_required
def review(slug):
    challenge = visible_challenge(slug)
    if not permissions.can_manage_challenge(current_user, challenge):
        abort(403)
    return _render_review(challenge)


def _render_review(challenge, refused_form=None, refused_idea_id=None):
    page = listings.list_ideas(current_user, challenge, sort="top", page=request.args.get("page", 1, type=int_arg),
                               with_feedback=True)
    return render_template("challenges/review.html", challenge=challenge, page=page,
                           can_review=permissions.can_review_ideas(current_user, challenge), form=ReviewForm(),
                           refused_form=refused_form, refused_idea_id=refused_idea_id)


@bp.post("/ideas/<int:idea_id>/review")
@login_required
def review_idea(idea_id):
    idea = visible_idea(idea_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            challenge_ideas.review_idea(current_user, idea, idea.challenge, form.decision.data, form.feedback.data)
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            db.session.commit()
            flash(f"“{idea.title}” is now {idea.status_label.lower()}.", "success")
            return redirect(url_for("challenges.review", slug=idea.challenge.slug) + f"#idea-{idea.id}")
    # The decision and the feedback come back as typed, the reason beside its field.
    db.session.rollback()
    return _render_review(idea.challenge, refused_form=form, refused_idea_id=idea.id), 422


@bp.cli.command("tick")
def tick_command():
    """Move challenges whose phase dates have passed (for cron)."""
    import click

    from app import jobs

    moved = challenge_phases.tick_phases()
    db.session.commit()
    jobs.dispatch()
    click.echo(f"{len(moved)} challenge(s) moved to their next phase.")


# The idea page with its comments, and editing, live in modules of their own on this blueprint
# (same URLs and endpoint names).
from challenges import edit_routes, idea_routes  # noqa: E402, F401
