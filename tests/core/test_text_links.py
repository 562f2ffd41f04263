"""Bare addresses in user text become links, and nh3's rules still hold for them."""
from __future__ import annotations

from lms.core.text import render_markdown


def test_a_bare_web_address_becomes_a_safe_link():
    """Is https://… typed in a notice clickable, with the rel every user link carries?"""
    html = str(render_markdown("The plan: https://example.com/plan?term=1 and mail me@example.com"))
    assert ('<a href="https://example.com/plan?term=1" rel="noopener noreferrer nofollow">'
            "https://example.com/plan?term=1</a>") in html
    assert '<a href="mailto:me@example.com" rel="noopener noreferrer nofollow">' in html


def test_only_web_and_mail_addresses_are_linked():
    """Does linkify turn no other scheme into a link (javascript:, data:, ftp:)?"""
    html = str(render_markdown("javascript:alert(1) data:text/html,x ftp://example.com/f <https://ok.example>"))
    assert "<a" in html and 'href="https://ok.example"' in html
    assert "javascript:" not in html.split("<a", 1)[1].split(">", 1)[0]
    assert html.count("<a ") == 1
