"""What voting shows on other features' pages (see app.fragments)."""
FRAGMENTS = {
    "challenge_tools": "voting/_challenge_tools.html",
    "idea_card": "voting/_idea_card_support.html",
    "idea_aside": "voting/_idea_support.html",
}
