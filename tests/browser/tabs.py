"""Reaching a tab of a tab bar (nav.tabs) as a person does: in its row, or through its "More" menu when the
row has no room for it (static/js/core/app.js)."""
from __future__ import annotations


def open_tab(page, name: str) -> None:
    """Click the tab called `name` of the page's first tab bar, opening its "More" menu first when the tab
    is in there."""
    bar = page.locator("nav.tabs").first
    page.wait_for_function("() => { const b = document.querySelector('nav.tabs');"
                           " return !b || !b.hasAttribute('data-tabs') || b.classList.contains('is-fitted'); }")
    link = bar.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        bar.locator("[data-tabs-more] > button").click()
    link.click()
