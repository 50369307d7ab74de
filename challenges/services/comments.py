"""Comments on ideas: posting, editing, deleting, status changes, the stored count, and threads to show."""
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app import clock, permissions, signals
from app.extensions import db
from app.markdown import render_markdown_lite
from challenges.models import Challenge, Comment, Idea
from challenges.services.errors import ChallengeError, PhaseError, StatusError
from challenges.services.ideas import refresh_hot_score
from challenges.services.screening import check_norms, screen_contribution

COMMENT_MAX = 2_000
COMMENT_MAX_DEPTH = 2  # 0, 1, 2: three levels


def _check_comment_body(body):
    if not body.strip():
        raise ChallengeError("Write something first.", "body")
    if len(body) > COMMENT_MAX:
        raise ChallengeError(f"Keep comments under {COMMENT_MAX:,} characters (this one has {len(body):,}).", "body")


def post_comment(author, idea, challenge, body, parent_id=None, accept_norms=False, paced=False):
    permissions.require(permissions.can_comment(author, idea, challenge), error=PhaseError)
    _check_comment_body(body)
    depth = 0
    if parent_id:
        parent = db.session.get(Comment, parent_id)
        if parent is None or parent.idea_id != idea.id:
            raise ChallengeError("The comment you reply to is gone.", "body")
        if parent.depth >= COMMENT_MAX_DEPTH:
            parent_id = parent.parent_id  # threads stop at three levels: reply beside it
            depth = parent.depth
        else:
            depth = parent.depth + 1
    check_norms(author, challenge, accept_norms)
    hold, flags = screen_contribution(author, challenge, "comment", body, paced=paced)
    now = clock.now()
    comment = Comment(
        idea_id=idea.id,
        author_id=author.id,
        parent_id=parent_id,
        depth=depth,
        body=body,
        body_html=render_markdown_lite(body),
        status="pending" if hold else "published",
        created_at=now,
    )
    db.session.add(comment)
    db.session.flush()
    if comment.status == "published":
        _count_comment(idea, +1)
    signals.comment_posted.send(comment, comment_id=comment.id, idea_id=idea.id, status=comment.status, flags=flags)
    return comment


def _count_comment(idea, sign):
    # An SQL expression, not Python arithmetic: two comments at once both count.
    idea.comment_count = Idea.comment_count + sign
    db.session.flush()
    if sign > 0:
        idea.last_activity_at = clock.now()
    refresh_hot_score(idea)
    if idea.is_public:
        db.session.execute(
            update(Challenge).where(Challenge.id == idea.challenge_id)
            .values(comment_count=Challenge.comment_count + sign)
        )


def edit_comment(editor, comment, body):
    permissions.require(permissions.can_edit_comment(editor, comment))
    _check_comment_body(body)
    idea = db.session.get(Idea, comment.idea_id)
    held, flags = screen_contribution(editor, db.session.get(Challenge, idea.challenge_id), "comment", body,
                                      edit=True)
    comment.body = body
    comment.body_html = render_markdown_lite(body)
    comment.edited_at = clock.now()
    db.session.flush()
    signals.comment_edited.send(comment, comment_id=comment.id, idea_id=comment.idea_id, held=held, flags=flags)
    return comment


def delete_comment(actor, comment, idea):
    """The author deletes: a tombstone keeps the replies in their thread."""
    permissions.require(permissions.can_delete_comment(actor, comment))
    set_comment_status(comment, idea, "deleted")
    comment.body = ""
    comment.body_html = ""
    comment.deleted_at = clock.now()
    db.session.flush()
    return comment


def set_comment_status(comment, idea, status):
    before = comment.status
    if before == status:
        return comment
    if before == "deleted":
        raise StatusError("This comment was deleted by its author.")
    comment.status = status
    if (before == "published") != (status == "published"):
        _count_comment(idea, +1 if status == "published" else -1)
    db.session.flush()
    signals.comment_status_changed.send(
        comment, comment_id=comment.id, idea_id=idea.id, before=before, after=status
    )
    return comment


@dataclass
class Thread:
    comment: Comment
    replies: list


def comment_threads(viewer, idea, challenge):
    """All comments of an idea as nested threads, in one query.

    Pending and hidden comments show only to their author and moderators;
    a deleted comment stays as a tombstone while it has replies.
    """
    comments = list(db.session.scalars(
        select(Comment).options(joinedload(Comment.author))
        .where(Comment.idea_id == idea.id).order_by(Comment.created_at, Comment.id)
    ))
    visible = permissions.comment_visibility(viewer, challenge.id)
    nodes = {}
    roots = []
    for comment in comments:
        if not visible(comment):
            continue
        node = Thread(comment, [])
        nodes[comment.id] = node
        parent = nodes.get(comment.parent_id)
        (parent.replies if parent else roots).append(node)

    def prune(threads):
        kept = []
        for thread in threads:
            thread.replies = prune(thread.replies)
            if not (thread.comment.is_deleted and not thread.replies):
                kept.append(thread)
        return kept

    return prune(roots)
