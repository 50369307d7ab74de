"""What search shows on other features' pages (see app.fragments)."""
FRAGMENTS = {
    "header_search": "search/_nav_search.html",
    "idea_form_aside": "search/_similar_ideas.html",
}
