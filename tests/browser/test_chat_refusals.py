"""What a member writes is never lost when the circle refuses the writer (issue 17, fe17b majors 1 and 2):
removed from the circle while their chat and a post's page are open, both pages say so in place, stop sending
and keep the typed text, the bell counts the removal, and a comment sent anyway ends on a page that says they were
removed and gives the text back; over the hourly post limit, the feed comes back with the message and the post's
text still in its box (a student on a 390 px phone)."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def circle(live_server):
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db
    from tests.moderation.support import make_post

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"rf-teacher-{tag}@example.org", PASSWORD, "Teacher Tan")
        emma = account_ops.register_user(f"rf-emma-{tag}@example.org", PASSWORD, "Emma Account")
        circle = circle_ops.create_circle(teacher, f"Jazz {tag}")
        circle_ops.add_member(circle, emma, Role.student, display_name="Emma In Class")
        channel = chat_ops.ensure_main_channel(circle)
        db.session.commit()
        post = make_post(circle, teacher, "Practice video due Friday")
        found = {"id": circle.id, "name": circle.name, "chat": f"/c/{circle.id}/chat/{channel.id}",
                 "post": f"/circles/{circle.id}/feed/{post.id}", "feed": f"/circles/{circle.id}/feed",
                 "teacher": teacher.email, "emma": emma.email}
        db.session.remove()
    return found


def _sign_in(page, email: str, path: str):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    return page


def _phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, viewport=PHONE, user_agent=IPHONE, is_mobile=True,
                                   has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def test_a_removed_member_is_told_on_every_open_page_and_keeps_what_they_typed(new_context, chromium, live_server,
                                                                              circle, screenshots):
    phone = _phone(chromium, live_server)
    try:
        chat = _sign_in(phone.new_page(), circle["emma"], circle["chat"])
        expect(chat.locator("[data-chat][data-chat-ready]")).to_be_attached()
        post = phone.new_page()
        post.goto(circle["post"])
        expect(post.locator("#comment-form textarea")).to_be_visible()
        chat.fill("[data-chat-body]", "half a chat message")
        post.fill("#comment-form textarea", "a long comment I spent time on")

        teacher = _sign_in(new_context().new_page(), circle["teacher"], f"/c/{circle['id']}/members")
        with screenshots.on_failure(teacher, "teacher-removes"):
            teacher.once("dialog", lambda dialog: dialog.accept())
            row = teacher.locator("tr").filter(has_text="Emma In Class")
            row.get_by_role("button", name="Remove").click()
            expect(teacher.locator(".flash-success")).to_contain_text("was removed")

        said = f"You were removed from {circle['name']} by the staff"
        with screenshots.on_failure(chat, "chat-told"):
            expect(chat.locator("[data-chat-notice]")).to_contain_text(said)
            expect(chat.locator("[data-chat-body]")).to_have_value("half a chat message")
            expect(chat.locator("[data-chat-body]")).not_to_be_editable()
            expect(chat.locator("[data-chat-send]")).to_be_disabled()
            # and looks it: greyed, not the live blue
            assert chat.evaluate("() => getComputedStyle(document.querySelector('[data-chat-send]')).cursor") == "not-allowed"
        with screenshots.on_failure(post, "post-told"):
            expect(post.locator("[data-muted-notice]")).to_contain_text(said)
            expect(post.locator("#comment-form textarea")).to_have_value("a long comment I spent time on")
            expect(post.locator("#comment-form textarea")).not_to_be_editable()
            expect(post.locator("#comment-form button[type=submit]").first).to_be_disabled()
            expect(post.locator("[data-bell]")).to_contain_text("1")

        # a form sent anyway (another tab, no script): the page says why and gives the text back
        with screenshots.on_failure(post, "sent-anyway"):
            post.evaluate("() => document.getElementById('comment-form').submit()")
            expect(post.locator("h1")).to_contain_text(f"You were removed from {circle['name']}")
            expect(post.locator("[data-kept-text]")).to_have_value("a long comment I spent time on")
        with screenshots.on_failure(post, "bell"):
            post.goto("/notifications")
            expect(post.locator("main")).to_contain_text(said)
    finally:
        phone.close()


def test_a_post_over_the_hourly_limit_comes_back_to_the_feed_with_its_text(chromium, live_server, circle,
                                                                          screenshots, monkeypatch):
    from lms.accounts.models import User
    from lms.circles.models import Circle
    from lms.extensions import db
    from lms.moderation import operations as ops

    monkeypatch.setitem(live_server.app.config, "RATE_LIMITING", True)
    with live_server.app.app_context():
        found = db.session.get(Circle, circle["id"])
        owner = db.session.execute(db.select(User).where(User.email == circle["teacher"])).scalar_one()
        ops.update_settings(found, owner, first_posts_need_approval=False, word_list="", links_allowed=True,
                            posts_per_hour=1, comments_per_hour=None, chat_per_minute=None)
        db.session.commit()
        db.session.remove()
    phone = _phone(chromium, live_server)
    try:
        feed = _sign_in(phone.new_page(), circle["emma"], circle["feed"])
        box = feed.locator("textarea[name=body_md]")
        box.fill("My first post")
        box.locator("xpath=ancestor::form").locator("button[type=submit]").last.click()
        expect(feed.locator(".flashes .flash-success")).to_be_visible()
        with screenshots.on_failure(feed, "over-limit"):
            box.fill("My second post, written with care")
            box.locator("xpath=ancestor::form").locator("button[type=submit]").last.click()
            expect(feed.locator(".flashes .flash-error")).to_contain_text("writing faster than this circle allows")
            assert feed.url.endswith(circle["feed"])
            expect(feed.locator("textarea[name=body_md]")).to_have_value("My second post, written with care")
    finally:
        phone.close()
