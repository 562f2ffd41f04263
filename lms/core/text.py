"""User text: Markdown rendered to HTML, then sanitized with nh3."""
from __future__ import annotations

from functools import lru_cache

import nh3
from markupsafe import Markup
from markdown_it import MarkdownIt

# linkify (the linkify-it-py package) makes a bare https://… a link; nh3 below still keeps only http(s) and mailto.
_md = (MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False})
       .enable("table").enable("strikethrough").enable("linkify"))
# Bare ftp:// and protocol-relative //host would become links nh3 strips the href of: leave them text.
_md.linkify.add("ftp:", None).add("//", None)

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "i", "li", "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul", "img",
}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


def render_markdown(source: str | None) -> Markup:
    """Markdown to safe HTML: raw HTML is not rendered, and the result is sanitized again by nh3.

    Only http(s) and mailto links survive; images may come from this site only (no tracking pixels).
    """
    if not source:
        return Markup("")
    return Markup(_rendered(source))


# The same texts are shown again and again (a circle's description on each visit of its home page),
# and rendering a few paragraphs takes about half a millisecond: keep the latest results.
@lru_cache(maxsize=256)
def _rendered(source: str) -> str:
    return nh3.clean(
        _md.render(source),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_drop_remote_images,
    )


def _drop_remote_images(tag: str, attribute: str, value: str):
    # A path on this site only: "//host/x.png" is protocol-relative, i.e. another site.
    if tag == "img" and attribute == "src" and not _is_local_path(value):
        return None
    return value


def _is_local_path(value: str) -> bool:
    return value.startswith("/") and not value.startswith("//") and "\\" not in value
