"""The rules of challenges, ideas, comments and follows.

Services take the acting user, check permissions and phases, change rows
and stored counters together, flush, and send a signal. They never commit.
A broken rule raises ChallengeError (or a subclass) with a message for
people, and the name of the form field it concerns when there is one.

One module per concern (challenges, comments, errors, follows, ideas,
listings, screening); nothing is re-exported here: import each name from the
module that owns it.
"""
