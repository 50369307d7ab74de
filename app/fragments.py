"""Slots on a lower feature's pages that higher features fill.

The idea card (challenges) shows a support button (voting) and a flag
button (moderation) without naming their templates: each feature lists the
fragments it contributes in its `fragments.py` (`FRAGMENTS = {slot: template}`),
create_app registers them, and the page includes whatever its slot holds:

    {% for fragment in slot("idea_card") %}{% include fragment %}{% endfor %}

The included template sees the page's variables (`idea`, `challenge`, ...).
"""
from weakref import WeakKeyDictionary

from jinja2 import pass_environment

SLOTS = {
    "nav": "links in the navigation bar",
    "header_search": "the search box in the header",
    "challenge_tools": "tools under a published challenge's header",
    "idea_card": "the bottom of an idea card in lists",
    "idea_aside": "the side column of the idea page",
    "contribution_actions": "actions under an idea or a comment (`item`, `item_kind`)",
    "idea_form_aside": "beside the new-idea form",
    "home": "the home page, for visitors and members, above the lists",
    "profile_about": "the 'about' column of a member's profile (`user`)",
    "profile": "the bottom of a member's profile (`user`)",
}
_filled = {}
# Per Jinja environment, each slot's templates once loaded: an include by name looks the template up in
# Jinja's cache every time, twenty times on a list of cards (issue 13).
_loaded = WeakKeyDictionary()


def contribute(fragments):
    """Register a feature's `{slot: template}` (idempotent: create_app runs often in tests)."""
    for slot, template in fragments.items():
        if slot not in SLOTS:
            raise KeyError(f"no slot named {slot!r}; the slots are {', '.join(SLOTS)}")
        templates = _filled.setdefault(slot, [])
        if template not in templates:
            templates.append(template)
            _loaded.clear()


@pass_environment
def slot(environment, name):
    """The templates contributed to slot `name`, in the order features were registered."""
    if environment.auto_reload:  # debug: Jinja reloads an edited template when it is named
        return tuple(_filled.get(name, ()))
    loaded = _loaded.setdefault(environment, {})
    templates = loaded.get(name)
    if templates is None:
        templates = loaded[name] = tuple(environment.get_template(template) for template in _filled.get(name, ()))
    return templates
