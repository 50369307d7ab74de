"""What community shows on other features' pages (see app.fragments)."""
FRAGMENTS = {
    "challenge_tools": "community/_challenge_part.html",
    "contribution_actions": "community/_thanks_button.html",
    "home": "community/_home_part.html",
    "profile_about": "community/_profile_part.html",
}
