"""Words that agree with their numbers: "1 follower", "2 followers", "1 more second"."""


def plural(count, singular, plural_form=None):
    """`count` and the noun that agrees with it, e.g. plural(3, "idea") -> "3 ideas"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


def plural_word(count, singular, plural_form=None):
    """Only the noun, for sentences that place the number themselves."""
    return singular if count == 1 else (plural_form or singular + "s")
