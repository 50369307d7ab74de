"""Watched words (/admin/watched-words): admins add and remove the words and patterns screening uses."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app import permissions
from app.extensions import db
from app.routing import vary_on_htmx
from challenges.services.errors import ChallengeError
from moderation.forms import WatchedWordForm
from moderation.models import WatchedWord
from moderation.services import watched_words

bp = Blueprint("watched_words", __name__, url_prefix="/admin/watched-words")
bp.after_request(vary_on_htmx)


@bp.before_request
@login_required
def require_admin():
    if not permissions.can_edit_watched_words(current_user):
        abort(403)


# Admins: watched words


@bp.route("/", methods=["GET", "POST"])
def words():
    form = WatchedWordForm()
    if request.method == "POST" and form.validate():
        try:
            watched_words.add_watched_word(current_user, form.pattern.data, form.action.data, form.is_regex.data,
                                           form.message.data)
            db.session.commit()
            flash(f"“{form.pattern.data}” is watched.", "success")
            return redirect(url_for("watched_words.words"), 303)
        except ChallengeError as problem:
            db.session.rollback()
            getattr(form, problem.field or "pattern").errors = [problem.message]
    return render_template("moderation/words.html", form=form, words=watched_words.watched_words()), \
        422 if form.errors else 200


@bp.post("/<int:word_id>/delete")
def delete_word(word_id):
    word = db.session.get(WatchedWord, word_id) or abort(404)
    watched_words.remove_watched_word(current_user, word)
    db.session.commit()
    flash(f"“{word.pattern}” is no longer watched.", "success")
    return redirect(url_for("watched_words.words"), 303)
