"""The one place that decides which state a challenge is in right now.

A published challenge whose phase is "submission" but whose first date is
still ahead is *upcoming*: it does not take ideas yet. Every badge, message
and button reads `challenge_state()` (also `Challenge.state`), so the page
never says "Taking ideas" beside "takes ideas from 12 December".
"""
from dataclasses import dataclass

from app import clock

LABELS = {
    "draft": "Draft",
    "upcoming": "Opening soon",
    "submission": "Taking ideas",
    "voting": "Voting",
    "review": "In review",
    "results": "Results",
    "closed": "Closed",
}


@dataclass(frozen=True)
class ChallengeState:
    key: str  # draft, upcoming, submission, voting, review, results, closed
    label: str  # what the badge says
    takes_ideas: bool
    takes_votes: bool
    notice: str | None  # why ideas cannot be shared now; None when they can

    @property
    def is_upcoming(self):
        return self.key == "upcoming"


def challenge_state(challenge, now=None):
    now = now or clock.now()
    phase = challenge.phase
    if phase == "draft":
        return ChallengeState("draft", LABELS["draft"], False, False, "This challenge is not published yet.")
    # When ideas and votes are taken is the model's rule (Challenge.takes_ideas/takes_votes, also usable in SQL).
    takes_ideas, takes_votes = challenge.takes_ideas(now), challenge.takes_votes(now)
    if phase == "submission" and not takes_ideas:
        opens = clock.aware(challenge.submission_at)
        return ChallengeState("upcoming", LABELS["upcoming"], False, takes_votes,
                              f"This challenge takes ideas from {opens:%d %B %Y}.")
    if phase == "submission":
        return ChallengeState("submission", LABELS["submission"], True, takes_votes, None)
    return ChallengeState(
        phase, LABELS[phase], False, takes_votes,
        f"This challenge no longer takes new ideas: it is in its {LABELS[phase].lower()} phase.",
    )
