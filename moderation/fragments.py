"""What moderation shows on other features' pages (see app.fragments)."""
FRAGMENTS = {
    "nav": "moderation/_nav_link.html",
    "contribution_actions": "moderation/_flag_button.html",
}
