"""The idea page and what is done on it: posting an idea, withdrawing and following it, its comments.

These routes belong to the challenges blueprint (challenges.routes imports
this module), so their URLs and endpoint names are unchanged. Editing an
idea or a comment is in challenges.edit_routes.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.extensions import db, htmx
from app.forms import id_arg, int_arg
from app.page_cache import visitor_cached
from app.routing import hx_target, vary_on_htmx
from challenges.forms import CommentForm, EmptyForm, IdeaForm
from challenges.loading import visible_challenge, visible_comment, visible_idea
from challenges.routes import bp, form_error, set_following
from challenges.services import comments, edits, follows, listings, screening
from challenges.services import errors as challenge_errors
from challenges.services import ideas as challenge_ideas

# Ideas


def _builds_on_choices(form, challenge, exclude_id=None):
    form.builds_on.choices = {0: "— Nothing, it stands on its own —"} | {
        row.id: row.title for row in listings.builds_on_choices(challenge, exclude_id)
    }


@bp.route("/challenges/<slug>/ideas/new", methods=["GET", "POST"])
@login_required
def new_idea(slug):
    challenge = visible_challenge(slug)
    form = IdeaForm()
    if request.method == "GET" and request.args.get("builds_on", type=id_arg):
        form.builds_on.data = request.args.get("builds_on", type=id_arg)
    accepted = screening.has_accepted_norms(current_user, challenge)
    if form.validate_on_submit():
        try:
            idea = challenge_ideas.submit_idea(
                current_user, challenge, title=form.title.data, description=form.description.data,
                tags=form.tags.data, builds_on_id=form.builds_on.data or None, accept_norms=form.accept_norms.data,
                paced=True,
            )
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            idea_id, pending = idea.id, idea.status == "pending"  # read before the commit expires them
            db.session.commit()
            if pending:
                flash("Thank you! Your idea waits for a moderator; you will see it here meanwhile.", "success")
            else:
                flash("Your idea is published. Share it to gather supporters!", "success")
            return redirect(url_for("challenges.idea", idea_id=idea_id))
    # The choices only show in the form: builds_on is checked by the service (validate_choice=False).
    _builds_on_choices(form, challenge)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("challenges/idea_form.html", form=form, challenge=challenge, idea=None,
                           accepted_norms=accepted, problem=permissions.submission_verdict(challenge).reason), status


@bp.get("/ideas/<int:idea_id>")
@visitor_cached
def idea(idea_id):
    idea = listings.get_idea(idea_id)
    if idea is not None and idea.status == "merged" and idea.merged_into_id:
        # 302, not 301: a merge can be undone, and browsers keep a 301 for ever.
        return redirect(url_for("challenges.idea", idea_id=idea.merged_into_id), 302)
    idea = visible_idea(idea_id, idea)
    return _render_idea(idea)


def _render_idea(idea, refused_form=None, refused_parent=None):
    """The idea page; a refused comment comes back in its own form, text kept, error beside it."""
    listings.load_idea_tags(idea)  # a refused comment's rollback expired them
    challenge = idea.challenge
    # A form puts a token in the session: a visitor, who sees no comment form, gets no cookie (issue 13).
    blank = CommentForm(formdata=None) if current_user.is_authenticated else None
    comment_page = comments.comment_threads(current_user, idea, challenge,
                                            page=request.args.get("comments", 1, type=int_arg))
    if hx_target() == "comment-more":
        return vary_on_htmx(render_template("challenges/_comment_page.html", idea=idea, challenge=challenge,
                                            comment_page=comment_page, comment_form=blank, reply_form=blank,
                                            accepted_norms=screening.has_accepted_norms(current_user, challenge)))
    return vary_on_htmx(render_template(
        "challenges/idea.html",
        idea=idea,
        challenge=challenge,
        children=listings.ideas_building_on(idea),
        history=listings.idea_history(idea),
        comment_page=comment_page,
        following=follows.follows_idea(current_user, idea),
        pending_edit=edits.pending_edit_for(current_user, "idea", idea, challenge.id),
        accepted_norms=screening.has_accepted_norms(current_user, challenge),
        comment_form=refused_form if refused_form is not None and not refused_parent else blank,
        reply_form=blank,
        refused_form=refused_form,
        refused_parent=refused_parent,
        can_comment=permissions.can_comment(current_user, idea, challenge),
    ))


@bp.post("/ideas/<int:idea_id>/withdraw")
@login_required
def withdraw_idea(idea_id):
    idea = visible_idea(idea_id)
    if EmptyForm().validate_on_submit():
        challenge_ideas.withdraw_idea(current_user, idea)
        db.session.commit()
        flash("Your idea is withdrawn. It no longer appears in the challenge.", "info")
    return redirect(url_for("challenges.show", slug=idea.challenge.slug))


@bp.post("/ideas/<int:idea_id>/follow")
@login_required
def follow_idea(idea_id):
    idea = visible_idea(idea_id)
    return set_following(idea, "idea-follow", "challenges/_follow_idea.html",
                          url_for("challenges.idea", idea_id=idea.id), idea=idea)


# Comments


@bp.post("/ideas/<int:idea_id>/comments")
@login_required
def post_comment(idea_id):
    idea = visible_idea(idea_id)
    challenge = idea.challenge
    form = CommentForm()
    parent_id = form.parent_id.data  # None, or a number a row id can be (anything else is a form error)
    comment = None
    if form.validate_on_submit():
        try:
            comment = comments.post_comment(current_user, idea, challenge, form.body.data, parent_id,
                                            accept_norms=form.accept_norms.data, paced=True)
        except challenge_errors.ChallengeError as error:
            form_error(form, error)
        else:
            # What was just written is what the answer shows: nothing is read again after the commit (issue 13).
            db.session().expire_on_commit = False
            try:
                db.session.commit()
            finally:
                db.session().expire_on_commit = True
    if htmx and htmx.target and htmx.target.startswith("comment-form"):
        # The form is replaced: empty after success (the new comment is added
        # out of band), or with the errors beside the field.
        return vary_on_htmx(render_template(
            "challenges/_comment_posted.html", idea=idea, challenge=challenge, comment=comment,
            form=CommentForm(formdata=None) if comment else form, parent_id=parent_id,
            accepted_norms=screening.has_accepted_norms(current_user, challenge),
        )), 200 if comment else 422
    if comment is None:
        # Without JavaScript too: the page again, the text kept, the reason beside the field.
        db.session.rollback()
        return vary_on_htmx(_render_idea(idea, refused_form=form, refused_parent=parent_id)), 422
    if comment.status == "pending":
        flash("Your comment waits for a moderator.", "info")
    return redirect(url_for("challenges.idea", idea_id=idea_id) + f"#comment-{comment.id}")


@bp.post("/comments/<int:comment_id>/delete")
@login_required
def delete_comment(comment_id):
    comment, idea = visible_comment(comment_id)
    if EmptyForm().validate_on_submit():
        comments.delete_comment(current_user, comment, idea)
        db.session.commit()
        flash("Your comment is deleted.", "info")
    return redirect(url_for("challenges.idea", idea_id=idea.id) + "#comments")
