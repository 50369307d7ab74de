"""Slots on a lower feature's pages that higher features fill.

The idea card (challenges) shows a support button (voting) and a flag
button (moderation) without naming their templates: each feature lists the
fragments it contributes in its `fragments.py` (`FRAGMENTS = {slot: template}`),
create_app registers them, and the page includes whatever its slot holds:

    {% for fragment in slot("idea_card") %}{% include fragment %}{% endfor %}

The included template sees the page's variables (`idea`, `challenge`, ...).
"""
SLOTS = {
    "nav": "links in the navigation bar",
    "header_search": "the search box in the header",
    "challenge_tools": "tools under a published challenge's header",
    "idea_card": "the bottom of an idea card in lists",
    "idea_aside": "the side column of the idea page",
    "contribution_actions": "actions under an idea or a comment (`item`, `item_kind`)",
    "idea_form_aside": "beside the new-idea form",
}
_filled = {}


def contribute(fragments):
    """Register a feature's `{slot: template}` (idempotent: create_app runs often in tests)."""
    for slot, template in fragments.items():
        if slot not in SLOTS:
            raise KeyError(f"no slot named {slot!r}; the slots are {', '.join(SLOTS)}")
        templates = _filled.setdefault(slot, [])
        if template not in templates:
            templates.append(template)


def slot(name):
    """The templates contributed to slot `name`, in the order features were registered."""
    return tuple(_filled.get(name, ()))
