"""A resource's Markdown body as HTML that is safe to show.

Two layers: markdown-it renders CommonMark (plus tables and strikethrough) with raw HTML
turned off, so any tag an author types comes out as text; nh3 (ammonia) then keeps only
the tags, attributes and URL schemes listed here, and gives every link
``rel="noopener nofollow"``.
"""

import nh3
from markdown_it import MarkdownIt

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def render(markdown: str) -> str:
    html = _renderer.render(markdown)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener nofollow",
        filter_style_properties={"text-align"},
    )
