"""Markdown to safe HTML: markdown-it-py renders, nh3 sanitizes.

Raw HTML typed by a member is escaped by the renderer (html=False) and
anything that slips through is removed by nh3: no scripts, no event
attributes, no javascript: or data: URLs; links get rel="nofollow ugc noopener".
"""
import nh3
from markdown_it import MarkdownIt

_full = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)
# Comments: "Markdown-lite": emphasis, links, code, lists and quotes; no headings or images.
_lite = MarkdownIt("commonmark", {"html": False}).disable(["heading", "lheading", "image", "table", "hr"], True)

_BLOCK_TAGS = {"p", "br", "ul", "ol", "li", "blockquote", "pre", "code", "em", "strong", "del", "a", "hr"}
FULL_TAGS = _BLOCK_TAGS | {"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "s"}
LITE_TAGS = set(_BLOCK_TAGS)

_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
_SCHEMES = {"http", "https", "mailto"}


def _clean(html, tags):
    return nh3.clean(
        html,
        tags=tags,
        attributes={tag: attrs for tag, attrs in _ATTRIBUTES.items() if tag in tags},
        url_schemes=_SCHEMES,
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


def render_markdown(text):
    return _clean(_full.render(text or ""), FULL_TAGS)


def render_markdown_lite(text):
    return _clean(_lite.render(text or ""), LITE_TAGS)
