"""The rules of supports, milestones, rankings, dot-voting and pairwise rounds.

Services take the acting user, check `app.permissions`, change rows and
their stored counts in the same transaction, flush and signal; they never
commit. A broken rule raises VotingError with a message for people; an
action app.permissions refuses raises its Refused (403).

Race safety: counts move with `UPDATE ... SET n = n + 1` (never a value
read earlier), inserts that may collide use ON CONFLICT DO NOTHING and
look at the row count, and every write path locks rows in one order
(the support or ballot row first, then the idea), so two requests at
once can neither double count nor deadlock.

One module per concern (anomalies, dots, errors, milestones, pairwise,
periodic, rankings, supports); nothing is re-exported here: import each name
from the module that owns it.
"""
