"""Chat's Markdown-lite: links, bold, italics, inline code and code blocks, line breaks; nothing else (no
headings, lists, images or raw HTML). Rendered with markdown-it, then sanitized with nh3 like every user text."""
from __future__ import annotations

import html
import unicodedata
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

_md = (MarkdownIt("zero", {"html": False, "linkify": True, "breaks": True})
       .enable(["emphasis", "backticks", "link", "linkify", "autolink", "escape", "newline", "fence",
                "paragraph", "text"]))
_md.linkify.add("ftp:", None).add("//", None)

_TAGS = {"a", "br", "code", "em", "p", "pre", "strong", "s"}
_ATTRIBUTES = {"a": {"href", "title"}}


def clean_body(text: str | None) -> str:
    """The message as stored: NFC, line endings unified, no control characters but line breaks and tabs,
    stripped."""
    text = unicodedata.normalize("NFC", text or "").replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs"))
    return text.strip()


@lru_cache(maxsize=2048)
def render_chat(body: str) -> str:
    """The message's HTML, sanitized by nh3 (only http(s) and mailto links, opened without referrer)."""
    if not body:
        return ""
    return nh3.clean(_md.render(body), tags=_TAGS, attributes=_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")


@lru_cache(maxsize=2048)
def plain_text(body: str) -> str:
    """The message as a reader sees it, without its Markdown-lite marks ("**Saturday**" → "Saturday", a link its
    text): for the pinned bar, reply quotes and notifications, which show text, not HTML."""
    if not body:
        return ""
    return html.unescape(nh3.clean(render_chat(body).replace("<br>", " ").replace("</p>", " "), tags=set())).strip()


def excerpt(body: str, length: int = 80) -> str:
    """A one-line beginning of a message (replies, notifications), as plain text."""
    line = " ".join(plain_text(body or "").split())
    return line if len(line) <= length else line[: length - 1] + "…"
