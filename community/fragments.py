"""What community shows on other features' pages (see app.fragments)."""
FRAGMENTS = {
    "challenge_tools": "community/_challenge_part.html",
    "contribution_actions": "community/_thanks_button.html",
}
