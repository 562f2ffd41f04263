"""The top bar's bell (lms/notifications, static/js/core/bell.js) in a real browser: on a page that loads no live script of its own, does the count follow a
notification pushed after the page loaded, and "mark all read" on another tab, without reloading?"""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


def _person(live_server):
    from lms.accounts import operations as account_ops
    from lms.extensions import db

    with live_server.app.app_context():
        user = account_ops.register_user(f"bell-{uuid.uuid4().hex[:8]}@example.org", PASSWORD, "Bell Reader")
        db.session.commit()
        found = (user.id, user.email)
        db.session.remove()
    return found


def _notify(live_server, user_id: int, title: str) -> None:
    from lms.extensions import db
    from lms.notifications import MailRule, notify
    from tests.notifications.conftest import PING

    with live_server.app.app_context():
        notify(PING, [user_id], url="/notifications", params={"actor": "Tom", "title": title}, mail=MailRule.never)
        db.session.commit()
        db.session.remove()


def test_the_bell_counts_live_and_clears(new_context, live_server):
    user_id, email = _person(live_server)
    context = new_context()
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/profile")  # a page without live scripts of its own: bell.js loads the client
    count = page.locator("[data-bell-count]")
    expect(count).to_be_hidden()
    page.wait_for_function("() => window.Circles && window.Circles.socket && window.Circles.socket.connected()")
    _notify(live_server, user_id, "<b>Essay</b>")
    expect(count).to_have_text("1")
    expect(count).to_be_visible()
    expect(page.locator("[data-bell-status]")).to_have_text("Tom pinged you about “<b>Essay</b>”")
    _notify(live_server, user_id, "Second")
    expect(count).to_have_text("2")
    other = context.new_page()
    other.goto("/notifications")
    other.get_by_role("button", name="Mark all read").click()
    expect(count).to_be_hidden()
    context.close()
