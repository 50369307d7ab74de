"""After the session: the report, its Markdown, promotion to ideas, the owner's follow-up."""
from dataclasses import dataclass

from sqlalchemy import select

from app import clock, permissions
from app.auth.models import User
from app.extensions import db
from app.markdown import render_markdown
from challenges.holdups.models import Cluster, Holdup, Note, Registration
from challenges.holdups.services.board import load_board
from challenges.holdups.services.common import HoldupError, bump, check_text, require

FOLLOW_UP_MAX = 5_000


@dataclass
class Report:
    challenge: object
    holdup: object
    board: object
    participants: list  # users credited

    @property
    def steps(self):
        return self.board.steps


def build_report(challenge, holdup):
    """Published notes only: hidden or held notes never reach the report."""
    board = load_board(None, challenge, holdup)
    participants = list(db.session.scalars(
        select(User).join(Registration, Registration.user_id == User.id)
        .where(Registration.challenge_id == challenge.id, Registration.status == "registered",
               Registration.credited.is_(True))
        .order_by(User.display_name, User.username)))
    return Report(challenge=challenge, holdup=holdup, board=board, participants=participants)


def _minutes(seconds):
    return f"{seconds // 60} min {seconds % 60:02d} s"


def _item(text):
    """A list item's text: its further lines indented so they stay inside the item."""
    return "\n  ".join(line.rstrip() for line in text.strip().splitlines())


def _cell(text):
    """A table cell's text: one line, its pipes escaped so the table keeps its columns."""
    return " ".join(text.split()).replace("|", "\\|")


def report_markdown(report, local):
    """The report as Markdown; `local` formats a UTC moment in the reader's zone."""
    challenge, holdup, board = report.challenge, report.holdup, report.board
    heading = "Report" if challenge.title.lower().startswith("hold-up") else "Hold-up report"
    lines = [f"# {heading}: {challenge.title}", "",
             f"{local(holdup.starts_at)} · facilitated by {holdup.facilitator.name}", "",
             "## The problem", "", challenge.problem.strip(), ""]
    lines += ["## Ideas by cluster", ""]
    for cluster, notes in board.clusters:
        lines += [f"### {cluster.name} ({cluster.dots} dots)", ""]
        lines += [f"- {_item(note.body)} — {note.author.name} ({note.dots} dots)" for note in notes] or ["- (no notes)"]
        lines.append("")
    if board.loose:
        lines += ["### Not clustered", ""]
        lines += [f"- {_item(note.body)} — {note.author.name} ({note.dots} dots)" for note in board.loose]
        lines.append("")
    lines += ["## Action plan", ""]
    lines += [f"- {_item(action.what)} — {action.who.name}, by {action.due_on.isoformat()}" for action in board.actions] \
        or ["- (no actions)"]
    lines += ["", "## Participants", ""]
    lines += [", ".join(user.name for user in report.participants) or "(nobody chose to be named)"]
    lines += ["", "## How long each step took", "", "| step | planned | real |", "| --- | --- | --- |"]
    lines += [f"| {_cell(step.title)} | {step.minutes} min | {_minutes(step.seconds_spent) if step.started_at else '—'} |"
              for step in board.steps]
    if holdup.follow_up:
        lines += ["", "## What we did with your ideas", "", holdup.follow_up.strip()]
    return "\n".join(lines) + "\n"


def _may_promote(actor, challenge, holdup):
    require(permissions.can_promote_to_ideas(actor, challenge, holdup),
            "Only the facilitator promotes notes to ideas, once the session has ended.")


def _promote(actor, challenge, holdup, author, title, description):
    from challenges.services.errors import ChallengeError
    from challenges.services.ideas import submit_idea

    title = title.strip()
    if len(title) < 10:
        title = f"Hold-up idea: {title}"
    title = title[:117] + "…" if len(title) > 120 else title
    try:
        return submit_idea(author, challenge, title=title, description=description,
                                              accept_norms=True)
    except ChallengeError as error:
        raise HoldupError(error.message) from error


def promote_note(actor, challenge, holdup, note):
    """The note becomes an idea of the challenge, its author credited; moderation rules apply."""
    _may_promote(actor, challenge, holdup)
    if note.challenge_id != challenge.id or note.status != "published":
        raise HoldupError("That note is not on this board.")
    if note.idea_id:
        raise HoldupError("This note is already an idea.")
    author = db.session.get(User, note.author_id)
    description = (f"{note.body}\n\nFrom the hold-up “{challenge.title}” "
                   f"on {clock.aware(holdup.starts_at):%Y-%m-%d}.")
    idea = _promote(actor, challenge, holdup, author, note.body, description)
    note.idea_id = idea.id
    db.session.flush()
    bump(challenge.id)
    return idea


def promote_cluster(actor, challenge, holdup, cluster):
    """A cluster becomes one idea, by the facilitator, listing its notes and their authors."""
    _may_promote(actor, challenge, holdup)
    if cluster.challenge_id != challenge.id:
        raise HoldupError("That cluster is not on this board.")
    if cluster.idea_id:
        raise HoldupError("This cluster is already an idea.")
    notes = db.session.execute(select(Note, User).join(User, User.id == Note.author_id)
                               .where(Note.cluster_id == cluster.id, Note.status == "published")
                               .order_by(Note.dots.desc(), Note.id)).all()
    listing = "\n".join(f"- {note.body} ({user.name})" for note, user in notes) or "- (no notes)"
    description = (f"Ideas grouped under “{cluster.name}” at the hold-up “{challenge.title}”:\n\n{listing}")
    idea = _promote(actor, challenge, holdup, actor, cluster.name, description)
    cluster.idea_id = idea.id
    db.session.flush()
    bump(challenge.id)
    return idea


def post_follow_up(actor, challenge, holdup, text):
    require(permissions.can_manage_holdup(actor, challenge), "Only the owner posts the follow-up.")
    if not holdup.has_ended:
        raise HoldupError("Post the follow-up once the session has ended.", "follow_up")
    text = check_text(text, "follow_up", FOLLOW_UP_MAX, "follow-up")
    holdup.follow_up, holdup.follow_up_html, holdup.follow_up_at = text, render_markdown(text), clock.now()
    db.session.flush()
    bump(challenge.id)
    return holdup


def follow_ups_for(member, limit=10):
    """Hold-ups the member took part in whose owner posted a follow-up: for their profile."""
    from challenges.models import Challenge

    return db.session.execute(
        select(Challenge, Holdup).join(Holdup, Holdup.challenge_id == Challenge.id)
        .join(Registration, Registration.challenge_id == Holdup.challenge_id)
        .where(Registration.user_id == member.id, Registration.status == "registered",
               Holdup.follow_up_at.is_not(None))
        .order_by(Holdup.follow_up_at.desc()).limit(limit)).all()


def promotable_clusters(challenge_id):
    return list(db.session.scalars(select(Cluster).where(Cluster.challenge_id == challenge_id)))
