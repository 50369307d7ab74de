"""What hold-ups show on other pages (see app.fragments)."""
FRAGMENTS = {
    "profile": "holdups/_profile_follow_ups.html",
}
