"""The rules of moderation: flags, trust, watched words, decisions, sanctions, the log.

Services take the acting user, check access in app.permissions, change rows,
write one audit entry per action, flush, and never commit. A decision on an
item is guarded at the database: a conditional UPDATE on the item's status
(and on its open queue case), so when two moderators act at once the second
finds nothing to update and is told who decided, and when.

One module per concern (audit, decisions, errors, flags, items, queue,
sanctions, screening, watched_words); nothing is re-exported here: import
each name from the module that owns it.
"""
