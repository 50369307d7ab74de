"""Template helpers every page shares: pluralisation, avatars, snippets (issue 15)."""
from app.text import plural, plural_word


def configure_ux(app):
    app.jinja_env.filters["plural"] = plural
    app.jinja_env.filters["plural_word"] = plural_word
