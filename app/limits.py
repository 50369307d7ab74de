"""Every limit a person can run into, declared once.

Forms validate with these, services enforce them, templates print them
(`limits.COMMENT_MAX` in a `maxlength`), and the README quotes them. Ranges
are (minimum, maximum) in characters unless the name says otherwise. Limits
an operator tunes (the new-member pace) live in app.config instead.
"""
from datetime import timedelta

# Accounts
USERNAME_MIN, USERNAME_MAX = 3, 30
EMAIL_MAX = 254
DISPLAY_NAME_MAX = 60
BIO_MAX = 1_000
PASSWORD_MIN, PASSWORD_MAX = 10, 256
TAG_MAX_LENGTH = 32
PROFILE_TAG_LIMIT = 15

# Challenges, ideas, comments
CHALLENGE_TITLE = (10, 120)
CHALLENGE_SUMMARY_MAX = 300
CHALLENGE_TAG_LIMIT = 8
IDEA_TITLE = (10, 120)
IDEA_DESCRIPTION = (30, 10_000)
IDEA_TAG_LIMIT = 5
FEEDBACK_MAX = 5_000
COMMENT_MAX = 2_000
COMMENT_MAX_DEPTH = 2  # depths 0, 1, 2: three levels
IDEA_EDIT_SUPPORTER_LIMIT = 100  # an idea with this many supporters is no longer edited
COMMENT_EDIT_WINDOW = timedelta(minutes=10)

# Trust and moderation
TRUSTED_AFTER = 3  # published contributions before a member skips pre-moderation
NEW_MEMBER_AGE = timedelta(days=7)
NEW_MEMBER_LINKS = 2
NEW_MEMBER_IDEAS_PER_DAY = 10
FLAGS_TO_HIDE = 3
FLAG_NOTE_MAX = 500
REASON_CODE_MAX = 30
NOTE_MAX = 2_000
APPEAL_MESSAGE = (10, 2_000)
SUSPENSION_DAYS = (1, 3, 7, 14, 30, 90, 365)

# Voting
DEFAULT_LADDER = ((100, 60), (1_000, 365), (5_000, 182), (10_000, 182))  # (supporters, days) per step
SUPPORTS_PER_MINUTE = 60
LADDER_MAX_STEPS = 6
LADDER_SUPPORTERS = (1, 10_000_000)
LADDER_DAYS = (1, 3_650)
DEFAULT_DOT_BUDGET = 3
DOT_BUDGET_RANGE = (1, 20)

# Search
MAX_QUERY = 256

# Pages
IDEAS_PER_PAGE = 20
CHALLENGES_PER_PAGE = 12
COMMENT_THREADS_PER_PAGE = 50
QUEUE_PAGE_SIZE = 20
LOG_PAGE_SIZE = 50
USERS_PER_PAGE = 50
MAX_PAGE = 5_000  # past this, a list answers its last page: deep offsets cost more than they help
