"""/search and the similar-ideas fragment. Thin: read the request, call a service, render."""
import sys

import click
from flask import Blueprint, abort, make_response, render_template, request
from flask_login import current_user
from tqdm import tqdm

from app import permissions
from app.database import reading
from app.extensions import db, htmx
from app.forms import id_arg
from challenges.services import listings as challenge_listings
from search import services

bp = Blueprint("search", __name__, cli_group="search")


def _vary(response, status=200):
    response = make_response(response, status)
    response.vary.add("HX-Request")
    return response


@bp.get("/search")
def search():
    page = services.search(current_user, **services.read_request(request.args))
    if page.unavailable:
        db.session.commit()  # sends the rebuild job (committing otherwise would expire the rows to render)
    context = {"result": page, "sorts": services.SORT_LABELS, "max_query": services.MAX_QUERY}
    status = 422 if page.error else 200
    if htmx and htmx.target == "search-results":
        return _vary(render_template("search/_results.html", fragment=True, **context), status)
    return _vary(render_template("search/page.html", **context), status)


@bp.get("/challenges/<slug>/similar-ideas")
def similar_ideas(slug):
    """Published ideas like the one being typed (or like idea=<id>, for moderators)."""
    challenge = challenge_listings.get_challenge(slug)
    if challenge is None or not permissions.can_view_challenge(current_user, challenge):
        abort(404)
    title, description, exclude = request.args.get("title", ""), request.args.get("description", ""), None
    idea_id = request.args.get("idea", type=id_arg)
    if request.args.get("idea") and idea_id is None:
        abort(404)  # not a number an idea can have
    if idea_id is not None:
        idea = challenge_listings.get_idea(idea_id)
        if idea is None or idea.challenge_id != challenge.id or not permissions.can_view_idea(
                current_user, idea, challenge):
            abort(404)
        title, description, exclude = idea.title, idea.description, idea.id
    ideas = services.similar_ideas(current_user, challenge, title, description, exclude_id=exclude)
    if not ideas:
        db.session.commit()  # sends the rebuild job when the index was missing
    context = {"challenge": challenge, "similar": ideas, "typed": bool((title + description).strip())}
    if htmx and htmx.target:
        return _vary(render_template("search/_similar_list.html", **context))
    return _vary(render_template("search/similar.html", **context))


@bp.cli.command("rebuild")
def rebuild_command():
    """Rebuild the search index from the database; searches use the old index until it is done."""
    if not services.backend().keeps_index:
        click.echo("SEARCH_BACKEND=postgres searches the database itself: there is no index to rebuild.")
        return
    with reading():  # the whole rebuild only reads: it never holds SQLite's write lock
        total = services.count_documents()
        with tqdm(total=total, desc="Indexing", unit=" documents", unit_scale=True, file=sys.stdout) as bar:
            generation = services.rebuild(progress=bar.update)
    click.echo(f"Indexed {total:,} documents into {generation}.")
