"""Events a lower feature raises for a higher one to hear.

Each signal is sent with the acting object as sender and ids as keywords,
so a listener can enqueue a job without holding on to session objects.
"""
from blinker import Namespace

kindling = Namespace()

user_registered = kindling.signal("user-registered")
roles_changed = kindling.signal("roles-changed")

# Challenges and ideas. Keywords are ids (and status names), never objects.
challenge_published = kindling.signal("challenge-published")  # challenge_id
challenge_phase_changed = kindling.signal("challenge-phase-changed")  # challenge_id, before, after
challenge_edited = kindling.signal("challenge-edited")  # challenge_id
idea_submitted = kindling.signal("idea-submitted")  # idea_id, status, flags
# An edit by a member also carries held, flags, editor_id, before, after and pending_edit (True: the edit waits
# for a moderator and the public text did not change, issue 14 item 7); an approved pending edit sends only the id.
idea_edited = kindling.signal("idea-edited")  # idea_id; by a member also held, flags, editor_id, before, after
idea_status_changed = kindling.signal("idea-status-changed")  # idea_id, before, after, actor_id
idea_reviewed = kindling.signal("idea-reviewed")  # idea_id, decision, actor_id
comment_posted = kindling.signal("comment-posted")  # comment_id, idea_id, status, flags
comment_edited = kindling.signal("comment-edited")  # comment_id, idea_id; as idea_edited
comment_status_changed = kindling.signal("comment-status-changed")  # comment_id, idea_id, before, after

# Screening, asked before a contribution is saved. A receiver may raise
# challenges.services.errors.ChallengeError to refuse it (with a message for
# the form), or return "pending" to send it to the moderation queue, or
# ("flag", reason) to publish it flagged. Keywords: user, challenge_id,
# kind ("idea" or "comment"), text, link_count, edit, and paced (True when
# the caller wants the pace limits on new posts applied: the site does,
# scripts and demo seeding may not).
contribution_screening = kindling.signal("contribution-screening")

# Moderation merges a duplicate idea into another; voting moves the
# supporters (without counting anyone twice) and undoes it on unmerge.
# Receivers return the ids of members whose support moved, so they can be told.
idea_merged = kindling.signal("idea-merged")  # source_id, target_id, actor_id
idea_unmerged = kindling.signal("idea-unmerged")  # source_id, target_id, actor_id

# Moderation tells members about decisions on their contributions and account
# (a notifications feature may deliver them). Keywords: user_ids, message, url.
moderation_notice = kindling.signal("moderation-notice")

# Voting reports support that looks wrong (bursts from new accounts, rings);
# moderation puts the idea in its queue. Keywords: idea_id, note.
vote_anomaly = kindling.signal("vote-anomaly")

# Voting. Keywords are ids and counts. Search re-sorts by supporters on both.
idea_supported = kindling.signal("idea-supported")  # idea_id, user_id, supporters
idea_support_withdrawn = kindling.signal("idea-support-withdrawn")  # idea_id, user_id, supporters
# An idea climbed a rung of its challenge's milestone ladder (level counts from 1).
# Completing the ladder (to review) and missing a deadline (expired) arrive as
# idea_status_changed with actor_id None.
milestone_reached = kindling.signal("milestone-reached")  # idea_id, level, supporters
dot_round_changed = kindling.signal("dot-round-changed")  # round_id, challenge_id, status

# --- Hold-ups -------------------------------------------------------------
# Sent by challenges.holdups with the Holdup as sender; keywords are ids.
# A notifications feature tells the members concerned.
holdup_registered = kindling.signal("holdup-registered")  # challenge_id, user_id, status ("registered"/"waiting")
holdup_promoted = kindling.signal("holdup-promoted")  # challenge_id, user_id (off the waitlist, now registered)
holdup_report_ready = kindling.signal("holdup-report-ready")  # challenge_id, user_ids (participants)
holdup_message = kindling.signal("holdup-message")  # challenge_id, user_ids, message_id, body, author_id

# community (issue 12): an owner invited members to a challenge (notifications may deliver it).
# Keywords: challenge_id, user_ids, message, actor_id.
community_invitation = kindling.signal("community-invitation")
