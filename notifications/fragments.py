"""What notifications shows on other features' pages (see app.fragments)."""
FRAGMENTS = {
    "nav": "notifications/_nav_link.html",
}
