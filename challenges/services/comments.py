"""Comments on ideas: posting, editing, deleting, status changes, the stored count, and threads to show."""
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.orm import joinedload

from app import clock, permissions, signals
from app.extensions import db
from app.limits import COMMENT_MAX, COMMENT_MAX_DEPTH, COMMENT_THREADS_PER_PAGE, MAX_PAGE
from app.markdown import render_markdown_lite
from challenges.models import Challenge, Comment, Idea
from challenges.services.edits import edit_is_held, hold_edit, own_pending_edits
from challenges.services.errors import ChallengeError, PhaseError, StatusError
from challenges.services.ideas import refresh_hot_score
from challenges.services.screening import check_norms, screen_contribution


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
    """Edit a comment. Returns the PendingEdit when the edit waits for a moderator, else None (it is live)."""
    permissions.require(permissions.can_edit_comment(editor, comment))
    _check_comment_body(body)
    idea = db.session.get(Idea, comment.idea_id)
    challenge = db.session.get(Challenge, idea.challenge_id)
    held, flags = screen_contribution(editor, challenge, "comment", body, edit=True)
    before = {"body": comment.body}
    pending = None
    if edit_is_held(editor, challenge, comment.status == "published", held, "comment", comment.id):
        pending = hold_edit(editor, "comment", comment.id, idea.challenge_id, body=body)
    else:
        _replace_comment_body(comment, body)
    signals.comment_edited.send(comment, comment_id=comment.id, idea_id=comment.idea_id,
                                held=held or pending is not None, flags=flags, editor_id=editor.id, before=before,
                                after={"body": body}, pending_edit=pending is not None)
    return pending


def apply_comment_edit(comment, pending):
    """A moderator approved the waiting edit: its text replaces the approved one."""
    _replace_comment_body(comment, pending.body)
    signals.comment_edited.send(comment, comment_id=comment.id, idea_id=comment.idea_id)
    return comment


def _replace_comment_body(comment, body):
    comment.body = body
    comment.body_html = render_markdown_lite(body)
    comment.edited_at = clock.now()
    db.session.flush()


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


@dataclass
class ThreadPage:
    threads: list
    page: int
    has_more: bool
    pending_edits: dict = field(default_factory=dict)  # the viewer's own waiting edits, by comment id


@cache
def _thread_statement():
    """A page's top-level comments with their replies two levels down, oldest first, in one statement built once."""
    roots = (select(Comment.id).where(Comment.idea_id == bindparam("idea_id"), Comment.parent_id.is_(None))
             .order_by(Comment.created_at.desc(), Comment.id.desc())
             .offset(bindparam("offset", type_=Integer)).limit(bindparam("limit", type_=Integer))
             .cte("page_roots"))
    root_ids = select(roots.c.id)
    children = select(Comment.id).where(Comment.parent_id.in_(root_ids))
    return (select(Comment).options(joinedload(Comment.author))
            .where(Comment.idea_id == bindparam("idea_id"),
                   Comment.id.in_(root_ids) | Comment.parent_id.in_(root_ids) | Comment.parent_id.in_(children))
            .order_by(Comment.created_at, Comment.id))


def comment_threads(viewer, idea, challenge, page=1):
    """One page of an idea's comment threads, newest thread first, replies oldest first, in one query.

    A page holds COMMENT_THREADS_PER_PAGE top-level comments with all their
    replies (threads are at most three levels deep). Pending and hidden
    comments show only to their author and moderators; a deleted comment
    stays as a tombstone while it has replies.
    """
    page = max(1, min(page, MAX_PAGE))
    comments = list(db.session.scalars(_thread_statement(), {
        "idea_id": idea.id, "offset": (page - 1) * COMMENT_THREADS_PER_PAGE, "limit": COMMENT_THREADS_PER_PAGE + 1}))
    roots = [comment for comment in reversed(comments) if comment.parent_id is None]  # newest first
    has_more = len(roots) > COMMENT_THREADS_PER_PAGE
    visible = permissions.comment_visibility(viewer, challenge.id)
    nodes = {}
    threads = []
    for comment in roots[:COMMENT_THREADS_PER_PAGE]:
        if visible(comment):
            nodes[comment.id] = Thread(comment, [])
            threads.append(nodes[comment.id])
    for comment in comments:  # replies after their parents: oldest first
        parent = nodes.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is not None and visible(comment):
            nodes[comment.id] = Thread(comment, [])
            parent.replies.append(nodes[comment.id])

    def prune(level):
        kept = []
        for thread in level:
            thread.replies = prune(thread.replies)
            if not (thread.comment.is_deleted and not thread.replies):
                kept.append(thread)
        return kept

    shown = [node.comment for node in nodes.values()]
    return ThreadPage(prune(threads), page, has_more, own_pending_edits(viewer, "comment", shown))
