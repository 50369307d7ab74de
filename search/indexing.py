"""The index side of search: documents built from the database, and the writes that keep the index current.

Called by search.jobs only (the index has one writer); searching lives in
search.services. `backend()` picks the engine from SEARCH_BACKEND.
"""
import os

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import jobs
from app.database import reading
from app.extensions import db
from app.tags import Tag
from challenges.models import IDEA_PUBLIC, Challenge, Comment, Idea, idea_tags
from search.backend import Document, IndexUnavailable, backend_for
from search.postgres import PostgresBackend, install_ddl
from search.schema import KINDS

install_ddl(db.metadata)

QUEUE = jobs.SEARCH_QUEUE
BATCH = 2000
MULTIPROCESS_FROM = 20_000  # documents; below it, starting processes costs more than it saves


def backend():
    if current_app.config.get("SEARCH_BACKEND") == "postgres":
        return PostgresBackend(db.session)
    return backend_for(current_app.config["SEARCH_INDEX_DIR"])


# Documents: what the index is told about each row


def _idea_document(idea, challenge_phase):
    return Document(
        kind="idea", pk=idea.id, title=idea.title, body=idea.description, status=idea.status,
        challenge_id=idea.challenge_id, public=idea.status in IDEA_PUBLIC and challenge_phase != "draft",
        tags=[t.name for t in idea.tags], supporters=idea.supporter_count,
        published=idea.published_at or idea.created_at,
    )


def _challenge_document(challenge):
    return Document(
        kind="challenge", pk=challenge.id, title=challenge.title, body=f"{challenge.summary}\n\n{challenge.problem}",
        status=challenge.phase, challenge_id=challenge.id, public=challenge.phase != "draft",
        tags=[t.name for t in challenge.tags], supporters=challenge.follower_count,
        published=challenge.published_at or challenge.created_at,
    )


def _comment_document(comment, idea_status, challenge_id, challenge_phase):
    return Document(
        kind="comment", pk=comment.id, title="", body=comment.body, status=comment.status,
        challenge_id=challenge_id,
        public=comment.status == "published" and idea_status in IDEA_PUBLIC and challenge_phase != "draft",
        published=comment.created_at,
    )


def _load_ideas(where):
    rows = db.session.execute(
        select(Idea, Challenge.phase).join(Challenge, Challenge.id == Idea.challenge_id)
        .options(selectinload(Idea.tags)).where(where).order_by(Idea.id)
    )
    return [_idea_document(idea, phase) for idea, phase in rows]


def _load_challenges(where):
    rows = db.session.scalars(select(Challenge).options(selectinload(Challenge.tags)).where(where)
                              .order_by(Challenge.id))
    return [_challenge_document(c) for c in rows]


def _load_comments(where):
    rows = db.session.execute(
        select(Comment, Idea.status, Idea.challenge_id, Challenge.phase)
        .join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(where).order_by(Comment.id)
    )
    return [_comment_document(*row) for row in rows]


_LOADERS = {
    "idea": (_load_ideas, Idea.id),
    "challenge": (_load_challenges, Challenge.id),
    "comment": (_load_comments, Comment.id),
}


def parse_key(key):
    kind, _, pk = str(key).partition(":")
    if kind not in KINDS or not pk.isdecimal():
        raise ValueError(f"not a search key: {key!r}")
    return kind, int(pk)


def documents_for(keys):
    """The current documents for these keys; keys whose rows are gone are simply absent."""
    by_kind = {}
    for key in keys:
        kind, pk = parse_key(key)
        by_kind.setdefault(kind, set()).add(pk)
    documents = []
    for kind, pks in by_kind.items():
        load, column = _LOADERS[kind]
        for start in range(0, len(pks), BATCH):
            chunk = sorted(pks)[start:start + BATCH]
            documents += load(column.in_(chunk))
    return documents


def _tags_by_owner(association, owner_column, pks):
    rows = db.session.execute(
        select(owner_column, Tag.name).join(Tag, Tag.id == association.c.tag_id).where(owner_column.in_(pks))
        .order_by(owner_column, Tag.name))
    tags = {}
    for pk, name in rows:
        tags.setdefault(pk, []).append(name)
    return tags


def _idea_batches(after):
    """Rebuild reads: only the indexed columns, as plain rows (no ORM objects), in id order."""
    columns = (Idea.id, Idea.title, Idea.description, Idea.status, Idea.challenge_id, Idea.supporter_count,
               Idea.published_at, Idea.created_at, Challenge.phase)
    rows = db.session.execute(select(*columns).join(Challenge, Challenge.id == Idea.challenge_id)
                              .where(Idea.id > after).order_by(Idea.id).limit(BATCH)).all()
    tags = _tags_by_owner(idea_tags, idea_tags.c.idea_id, [r.id for r in rows]) if rows else {}
    return rows, [Document(
        kind="idea", pk=r.id, title=r.title, body=r.description, status=r.status, challenge_id=r.challenge_id,
        public=r.status in IDEA_PUBLIC and r.phase != "draft", tags=tags.get(r.id, []),
        supporters=r.supporter_count, published=r.published_at or r.created_at) for r in rows]


def _comment_batches(after):
    columns = (Comment.id, Comment.body, Comment.status, Comment.created_at, Idea.status.label("idea_status"),
               Idea.challenge_id, Challenge.phase)
    rows = db.session.execute(
        select(*columns).join(Idea, Idea.id == Comment.idea_id).join(Challenge, Challenge.id == Idea.challenge_id)
        .where(Comment.id > after).order_by(Comment.id).limit(BATCH)).all()
    return rows, [Document(
        kind="comment", pk=r.id, title="", body=r.body, status=r.status, challenge_id=r.challenge_id,
        public=r.status == "published" and r.idea_status in IDEA_PUBLIC and r.phase != "draft",
        published=r.created_at) for r in rows]


def _challenge_batches(after):
    ids = list(db.session.scalars(select(Challenge.id).where(Challenge.id > after).order_by(Challenge.id)
                                  .limit(BATCH)))
    return ids, _load_challenges(Challenge.id.in_(ids)) if ids else []  # few rows: the ORM loader will do


def all_documents():
    """Every challenge, idea and comment, streamed in batches read in id order."""
    for batches in (_challenge_batches, _idea_batches, _comment_batches):
        last = 0
        while True:
            rows, documents = batches(last)
            if not rows:
                break
            yield from documents
            last = documents[-1].pk


def count_documents():
    return sum(db.session.scalar(select(db.func.count(column))) for _, column in _LOADERS.values())


# Writing (called by search.jobs only)


def reindex(keys):
    """Bring these documents up to date, or drop them when their rows are gone."""
    if not backend().keeps_index:
        return
    keys = sorted(set(keys))
    documents = documents_for(keys)
    found = {d.key for d in documents}
    try:
        with backend().writer() as writer:
            writer.delete(k for k in keys if k not in found)
            writer.update(documents)
    except IndexUnavailable:
        request_rebuild()  # the rebuild reads the database, which already holds this change


def idea_family_keys(idea_id):
    comment_ids = db.session.scalars(select(Comment.id).where(Comment.idea_id == idea_id))
    return [f"idea:{idea_id}", *(f"comment:{c}" for c in comment_ids)]


def challenge_family_keys(challenge_id):
    idea_ids = list(db.session.scalars(select(Idea.id).where(Idea.challenge_id == challenge_id)))
    comment_ids = db.session.scalars(select(Comment.id).where(Comment.idea_id.in_(idea_ids))) if idea_ids else []
    return [f"challenge:{challenge_id}", *(f"idea:{i}" for i in idea_ids), *(f"comment:{c}" for c in comment_ids)]


def rebuild(progress=None, procs=None):
    """Rebuild the index from the database. Large rebuilds use every CPU core (whoosh's MpWriter)."""
    engine = backend()
    if not engine.keeps_index:
        return None
    # Minutes of reading: on SQLite it must not hold the write lock (BEGIN IMMEDIATE) all along.
    with reading():
        if procs is None:
            procs = min(4, os.cpu_count() or 1) if count_documents() >= MULTIPROCESS_FROM else 1
        return engine.rebuild(all_documents(), documents_for, progress, procs=procs,
                              limitmb=current_app.config["SEARCH_REBUILD_MB"])


def request_rebuild():
    from search import jobs as search_jobs

    jobs.enqueue(search_jobs.ensure_index, queue=QUEUE)
