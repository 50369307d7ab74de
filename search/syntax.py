"""The query language people may type, the same on every backend.

Offered: words (all must match), "a quoted phrase", `or` between two
alternatives, and `-word` to exclude a word. This is what PostgreSQL's
websearch_to_tsquery understands, so both backends read a query alike.
Nothing else is syntax: `status:hidden`, `food^2`, `NOT`, `AND`,
parentheses and wildcards are searched as the plain words they contain.
Parsing never fails, whatever the text.
"""
import re
from dataclasses import dataclass

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Clause:
    text: str  # the words as typed (without quotes or the leading minus)
    phrase: bool = False
    negated: bool = False
    start: int = 0  # where `text` sits in the query, for did-you-mean
    end: int = 0


def parse(text):
    """[[Clause, ...], ...]: every group must match, any clause of a group may.

    Negated clauses stand in groups of their own."""
    groups, pending_or = [], False
    for match in _TOKEN.finditer(text or ""):
        minus, quoted, word = match.groups()
        if word is not None:
            if word.lower() == "or":
                pending_or = bool(groups)
                continue
            negated = word.startswith("-") and len(word) > 1
            body = word[1:] if negated else word
            start = match.start(3) + (1 if negated else 0)
            clause = Clause(body, False, negated, start, match.end(3))
        else:
            if not quoted.strip():
                continue
            clause = Clause(quoted, True, bool(minus), match.start(2), match.start(2) + len(quoted))
        if pending_or and not clause.negated and not groups[-1][0].negated:
            groups[-1].append(clause)
        else:
            groups.append([clause])
        pending_or = False
    return groups
