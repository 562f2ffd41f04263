"""The site's icon: every page names it, and /favicon.ico (asked by browsers before any page is read) leads
to it instead of a 404."""
from __future__ import annotations

import re


def test_favicon_ico_leads_to_the_svg_icon(client):
    """Does /favicon.ico answer with a redirect to an SVG the static route serves, even signed out?"""
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    with client.get(response.headers["Location"]) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
        assert icon.get_data(as_text=True).lstrip().startswith("<svg")


def test_every_page_links_the_icon(client):
    """Does the page's <head> name the SVG icon?"""
    html = client.get("/login", follow_redirects=True).get_data(as_text=True)
    link = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert link
    with client.get(link.group(1)) as icon:
        assert icon.status_code == 200
