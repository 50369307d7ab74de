"""Hold-up pages: setup, agenda, registration, the live board, the report.

Thin: load → check access → call one service → commit → redirect (or
re-render with 422 and the message beside the field). Every form works
without JavaScript; with it, htmx boosts the forms and polls the board.
"""
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from app import clock, permissions
from app.extensions import db
from challenges.forms import EmptyForm
from challenges.holdups.forms import (
    CreditForm,
    HoldupForm,
    MessageForm,
    RegisterForm,
    StepForm,
    TimeZoneForm,
)
from challenges.holdups.services import HoldupError, live, registration, report, setup, zones
from challenges.holdups.services.common import get_holdup, registration_of
from challenges.services import listings, screening

bp = Blueprint("holdups", __name__)


# Loading and shared helpers


def _challenge(slug):
    challenge = listings.get_challenge(slug)
    if challenge is None or challenge.format != "holdup" or not permissions.can_view_challenge(current_user, challenge):
        abort(404)
    return challenge


def _holdup(slug):
    challenge = _challenge(slug)
    holdup = get_holdup(challenge)
    if holdup is None:
        abort(404)
    return challenge, holdup


def _refusals_as_403(view):
    """A service's PermissionError is a 403 page that says why."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        from app.errors import render_error

        try:
            return view(*args, **kwargs)
        except PermissionError as refusal:
            db.session.rollback()
            return render_error(403, str(refusal) or None)

    return wrapper


def _field_error(form, error):
    """Each problem of a HoldupError beside its field (or above the form when it names none)."""
    _field_problems(form, getattr(error, "problems", None) or [(error.field, error.message)])


def _field_problems(form, problems):
    for field, message in problems:
        target = getattr(form, field, None) if field else None
        if target is not None:
            if message not in target.errors:
                target.errors = list(target.errors) + [message]
        else:
            form.form_errors.append(message)


def _form_messages(form):
    return " ".join(str(m) for errors in form.errors.values() for m in (errors if isinstance(errors, list) else [errors]))


@bp.app_template_global("holdup_viewer_zone")
def viewer_zone():
    if "viewer_zone" not in g:
        g.viewer_zone = zones.viewer_zone_name(current_user, request.cookies.get("tz"))
    return g.viewer_zone


@bp.app_template_filter("local_time")
def local_time(moment, with_zone=True):
    """A UTC moment as <time> in the viewer's zone (profile, else the browser's, else UTC)."""
    if moment is None:
        return ""
    name = viewer_zone()
    local = clock.aware(moment).astimezone(zones.zone(name))
    text = f"{local:%a %d %b %Y, %H:%M}" + (f" ({name})" if with_zone else "")
    return Markup(f'<time datetime="{clock.aware(moment).isoformat()}">{escape(text)}</time>')


def _plain_time(moment):
    return zones.plain_time(clock.aware(moment), viewer_zone())


@bp.app_template_global()
def holdup_panel(challenge):
    """What the challenge page shows of a hold-up (its details, your registration). A few queries."""
    holdup = get_holdup(challenge)
    if holdup is None:
        return {"holdup": None, "can_manage": permissions.can_manage_holdup(current_user, challenge)}
    mine = registration_of(current_user, challenge.id)
    return {
        "holdup": holdup,
        "registration": mine if mine is not None and mine.status != "cancelled" else None,
        "position": registration.waitlist_position(mine),
        "closed": registration.registration_closed(holdup),
        "can_manage": permissions.can_manage_holdup(current_user, challenge),
        "can_see_place": permissions.can_see_place(current_user, challenge, holdup, mine),
        "can_view_board": permissions.can_view_board(current_user, challenge, holdup, mine),
        "accepted_norms": screening.has_accepted_norms(current_user, challenge)
        if current_user.is_authenticated else False,
        "messages": registration.messages_for(current_user, challenge, mine) if current_user.is_authenticated else [],
        "steps": setup.agenda(challenge.id),
        # Built for everyone; a token reaches the session only when a form is shown (app/forms.py).
        "register_form": RegisterForm(),
        "credit_form": CreditForm(credited=mine.credited if mine else True),
        "action_form": EmptyForm(),
    }


@bp.app_template_global()
def holdup_follow_ups(member):
    """For profiles: the follow-ups of hold-ups the member took part in."""
    return report.follow_ups_for(member)


def _back(challenge):
    return redirect(url_for("challenges.show", slug=challenge.slug, _anchor="holdup"), 303)


# Setup and agenda (the owner)


@bp.route("/challenges/<slug>/holdup", methods=["GET", "POST"])
@login_required
@_refusals_as_403
def setup_page(slug):
    challenge = _challenge(slug)
    if not permissions.can_manage_holdup(current_user, challenge):
        abort(403)
    holdup = get_holdup(challenge)
    form = HoldupForm()
    if request.method == "GET" and holdup is not None:
        local = clock.aware(holdup.starts_at).astimezone(zones.zone(holdup.time_zone))
        form = HoldupForm(formdata=None, day=local.date(), at=local.time(), time_zone=holdup.time_zone,
                          duration_minutes=holdup.duration_minutes, capacity=holdup.capacity, place=holdup.place,
                          online_link=holdup.online_link, facilitator=holdup.facilitator.username,
                          dot_budget=holdup.dot_budget, public_can_watch=holdup.public_can_watch,
                          participants_cluster=holdup.participants_cluster)
    if form.is_submitted():
        try:
            setup.ensure_editable(holdup)
            if not form.validate():
                # What the form refused is beside its field; the service's rules run on what it accepted,
                # so one submission names every problem.
                _field_problems(form, setup.details_problems(current_user, holdup, **_details(form))[0])
            else:
                setup.save_holdup(current_user, challenge, **_details(form), public_can_watch=form.public_can_watch.data,
                                  participants_cluster=form.participants_cluster.data)
                db.session.commit()
                flash("Hold-up saved.", "success")
                return redirect(url_for("holdups.agenda_page", slug=slug) if holdup is None
                                else url_for("challenges.show", slug=slug), 303)
        except HoldupError as error:
            db.session.rollback()
            _field_error(form, error)
    return render_template("holdups/setup.html", challenge=challenge, holdup=holdup, form=form), \
        422 if form.errors else 200


def _details(form):
    """The setup form's values as save_holdup names them; None for a value the form refused."""
    fields = dict(day=form.day, at=form.at, time_zone=form.time_zone, duration_minutes=form.duration_minutes,
                  capacity=form.capacity, dot_budget=form.dot_budget, place=form.place, online_link=form.online_link,
                  facilitator_username=form.facilitator)
    return {name: None if field.errors else field.data for name, field in fields.items()}


def _agenda_context(challenge, holdup, **forms):
    steps = setup.agenda(challenge.id)
    step_forms = {step.id: StepForm(formdata=None, prefix=f"s{step.id}", title=step.title, minutes=step.minutes,
                                    kind=step.kind) for step in steps}
    step_forms.update(forms.pop("step_forms", {}))
    return dict(challenge=challenge, holdup=holdup, steps=steps, step_forms=step_forms,
                total=setup.agenda_minutes(steps), new_form=forms.get("new_form") or StepForm(prefix="new"),
                action_form=EmptyForm(),
                editable=holdup.status == "scheduled" and (permissions.can_manage_holdup(current_user, challenge)
                                                           or permissions.can_facilitate(current_user, challenge,
                                                                                         holdup)))


@bp.get("/challenges/<slug>/agenda")
def agenda_page(slug):
    challenge, holdup = _holdup(slug)
    return render_template("holdups/agenda.html", **_agenda_context(challenge, holdup))


@bp.post("/challenges/<slug>/agenda")
@login_required
@_refusals_as_403
def agenda_add(slug):
    challenge, holdup = _holdup(slug)
    form = StepForm(prefix="new")
    if form.validate_on_submit():
        try:
            setup.add_step(current_user, challenge, holdup, title=form.title.data, minutes=form.minutes.data,
                           kind=form.kind.data)
        except HoldupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            return redirect(url_for("holdups.agenda_page", slug=slug), 303)
    return render_template("holdups/agenda.html", **_agenda_context(challenge, holdup, new_form=form)), 422


@bp.post("/challenges/<slug>/agenda/<int:step_id>")
@login_required
@_refusals_as_403
def agenda_step(slug, step_id):
    challenge, holdup = _holdup(slug)
    step = live.step_by_id(challenge.id, step_id) or abort(404)
    action = request.form.get("action", "save")
    form = StepForm(prefix=f"s{step.id}")
    try:
        if action in ("up", "down", "remove"):
            if not EmptyForm().validate_on_submit():
                abort(400)
            if action == "remove":
                setup.remove_step(current_user, challenge, holdup, step)
            else:
                setup.move_step(current_user, challenge, holdup, step, -1 if action == "up" else +1)
        elif form.validate_on_submit():
            setup.update_step(current_user, challenge, holdup, step, title=form.title.data,
                              minutes=form.minutes.data, kind=form.kind.data)
        else:
            return render_template("holdups/agenda.html", **_agenda_context(
                challenge, holdup, step_forms={step.id: form})), 422
    except HoldupError as error:
        db.session.rollback()
        if action == "save":
            _field_error(form, error)
            return render_template("holdups/agenda.html", **_agenda_context(
                challenge, holdup, step_forms={step.id: form})), 422
        flash(error.message, "error")
    else:
        db.session.commit()
    return redirect(url_for("holdups.agenda_page", slug=slug, _anchor=f"step-{step.id}"), 303)


# Registration


@bp.post("/challenges/<slug>/register")
@login_required
@_refusals_as_403
def register(slug):
    challenge, holdup = _holdup(slug)
    form = RegisterForm()
    try:
        if not form.validate_on_submit():
            raise HoldupError(_form_messages(form) or "Send the form again.")
        mine = registration.register(current_user, challenge, holdup, credited=form.credited.data,
                                     accept_norms=form.accept_norms.data)
    except HoldupError as error:
        db.session.rollback()
        _field_error(form, error)
        return render_template("holdups/register.html", challenge=challenge, holdup=holdup, form=form,
                               panel=holdup_panel(challenge)), 422
    position = registration.waitlist_position(mine)
    db.session.commit()
    if mine.status == "registered":
        flash("You are registered. The place and link are on this page; add the session to your calendar.",
              "success")
    else:
        flash(f"The session is full: you are on the waitlist, in position {position}. "
              "You get a seat as soon as someone cancels.", "info")
    return _back(challenge)


@bp.post("/challenges/<slug>/cancel")
@login_required
@_refusals_as_403
def cancel(slug):
    challenge, holdup = _holdup(slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        was, promoted = registration.cancel(current_user, challenge, holdup)
    except HoldupError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if was == "waiting":
            flash("You left the waitlist.", "success")
        elif promoted:
            flash("Your registration is cancelled; your seat went to the next person waiting.", "success")
        else:
            flash("Your registration is cancelled; your seat is free for someone else.", "success")
    return _back(challenge)


@bp.post("/challenges/<slug>/credit")
@login_required
@_refusals_as_403
def credit(slug):
    challenge, _holdup_row = _holdup(slug)
    form = CreditForm()
    if form.validate_on_submit():
        try:
            registration.set_credited(current_user, challenge, form.credited.data)
        except HoldupError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash("You will be named in the report." if form.credited.data else
                  "You will not be named in the report.", "success")
    return redirect(request.referrer if (request.referrer or "").startswith(request.host_url)
                    else url_for("challenges.show", slug=slug), 303)


@bp.get("/challenges/<slug>/holdup.ics")
def calendar_file(slug):
    challenge, holdup = _holdup(slug)
    mine = registration_of(current_user, challenge.id)
    data = registration.ics(challenge, holdup, url_for("challenges.show", slug=slug, _external=True),
                            with_place=permissions.can_see_place(current_user, challenge, holdup, mine))
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{challenge.slug}.ics"'
    return response


@bp.route("/challenges/<slug>/participants", methods=["GET", "POST"])
@login_required
@_refusals_as_403
def participants(slug):
    challenge, holdup = _holdup(slug)
    if not permissions.can_see_registrations(current_user, challenge, holdup):
        abort(403)
    form = MessageForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            _message, user_ids = registration.message_people(current_user, challenge, holdup, form.body.data,
                                                              form.audience.data)
        except HoldupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(f"Message sent to {len(user_ids)} member{'s' if len(user_ids) != 1 else ''}.", "success")
            return redirect(url_for("holdups.participants", slug=slug), 303)
    return render_template(
        "holdups/participants.html", challenge=challenge, holdup=holdup, form=form,
        registered=registration.registrations(challenge.id, "registered"),
        waiting=registration.registrations(challenge.id, "waiting"),
        messages=registration.messages_for(current_user, challenge, None),
        can_message=permissions.can_manage_holdup(current_user, challenge),
    ), 422 if form.errors else 200


# Time zone (a profile setting)


@bp.route("/settings/time-zone", methods=["GET", "POST"])
@login_required
@_refusals_as_403
def time_zone():
    form = TimeZoneForm()
    if request.method == "GET":
        form.time_zone.data = viewer_zone()
    if form.validate_on_submit():
        try:
            zones.set_viewer_zone(current_user, form.time_zone.data)
        except HoldupError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            flash(f"Times are now shown in {form.time_zone.data}.", "success")
            return redirect(url_for("holdups.time_zone"), 303)
    return render_template("holdups/time_zone.html", form=form,
                           saved=zones.member_zone(current_user)), 422 if form.errors else 200


from challenges.holdups import live_routes, report_routes  # noqa: E402,F401  (the live board, the report)
