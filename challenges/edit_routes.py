"""Editing an idea or a comment, the author's side (issue 14, item 7).

The edit goes live at once, or, under pre-moderation, waits for a moderator
while everyone else keeps seeing the approved version. These routes belong
to the challenges blueprint (challenges.routes imports this module), so
their URLs and endpoint names are unchanged.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.extensions import db
from challenges.forms import CommentForm, IdeaEditForm
from challenges.loading import visible_comment, visible_idea
from challenges.routes import bp, form_error
from challenges.services import comments, edits
from challenges.services import errors as challenge_errors
from challenges.services import ideas as challenge_ideas

WAITING = "Your edit is waiting for a moderator; others still see the approved version."


@bp.route("/ideas/<int:idea_id>/edit", methods=["GET", "POST"])
@login_required
def edit_idea(idea_id):
    idea = visible_idea(idea_id)
    if not permissions.can_edit_idea(current_user, idea):
        abort(403)
    waiting = edits.pending_edit_for(current_user, "idea", idea, idea.challenge_id)
    form = IdeaEditForm(obj=(waiting or idea) if request.method == "GET" else None)
    if request.method == "GET":
        # A second edit starts from the waiting one, which it replaces.
        form.tags.data = waiting.tag_names if waiting else [t.name for t in idea.tags]
    if form.validate_on_submit():
        try:
            pending = challenge_ideas.edit_idea(current_user, idea, title=form.title.data,
                                                description=form.description.data, tags=form.tags.data)
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            db.session.commit()
            if pending is not None:
                flash(WAITING, "info")
            else:
                flash("Your changes are saved; the previous version is kept in the history.", "success")
            return redirect(url_for("challenges.idea", idea_id=idea.id))
    return render_template("challenges/idea_form.html", form=form, challenge=idea.challenge, idea=idea,
                           waiting=waiting, accepted_norms=True, problem=None), 422 if form.errors else 200


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id):
    comment, idea = visible_comment(comment_id)
    if not permissions.can_edit_comment(current_user, comment):
        abort(403)
    waiting = edits.pending_edit_for(current_user, "comment", comment, idea.challenge_id)
    form = CommentForm(obj=(waiting or comment) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            pending = comments.edit_comment(current_user, comment, form.body.data)
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            db.session.commit()
            flash(WAITING if pending is not None else "Your comment is updated.", "info" if pending else "success")
            return redirect(url_for("challenges.idea", idea_id=idea.id) + f"#comment-{comment.id}")
    return render_template("challenges/comment_edit.html", form=form, comment=comment, idea=idea,
                           waiting=waiting), 422 if form.errors else 200
