"""The staff choose a channel's members in a real browser: the list narrows as they type a circle name, a real
name or a student number (static/js/chat_members.js), counts the ticked, and the channel opens with them."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def circle(live_server):
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"pick-t-{tag}@example.org", PASSWORD, "Teacher Ho")
        circle = circle_ops.create_circle(teacher, f"Choir {tag}")
        for n, (shown, real, number) in enumerate((("Lin (Group B)", "林小梅", "S-1042"), ("Sam", "Sam Smith", "S-2001"),
                                                   ("Tess", "", ""))):
            student = account_ops.register_user(f"pick-{n}-{tag}@example.org", PASSWORD, f"Account {n}")
            circle_ops.add_member(circle, student, Role.student, display_name=shown, real_name=real or None,
                                  student_no=number or None)
        chat_ops.ensure_main_channel(circle)
        db.session.commit()
        found = {"teacher": teacher.email, "new": f"/c/{circle.id}/chat/channels/new"}
        db.session.remove()
    return found


def test_the_staff_find_and_tick_members_by_any_of_their_names(new_context, circle, screenshots):
    page = new_context().new_page()
    page.goto("/login")
    page.fill("input[name=email]", circle["teacher"])
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(circle["new"])
    rows = page.locator("[data-pick-row]")
    with screenshots.on_failure(page, "picker"):
        expect(rows).to_have_count(3)
        search = page.locator("[data-pick-filter]")
        expect(search).to_be_visible()
        for typed, shown in (("s-1042", "Lin (Group B)"), ("林", "Lin (Group B)"), ("smith", "Sam"), ("TESS", "Tess")):
            search.fill(typed)
            expect(rows.locator("visible=true")).to_have_count(1)
            expect(rows.locator("visible=true").locator(".member-name")).to_have_text(shown)
        search.fill("nobody here")
        expect(rows.locator("visible=true")).to_have_count(0)
        expect(page.locator("[data-pick-none]")).to_be_visible()
        search.fill("group b")
        rows.locator("visible=true").locator("input[type=checkbox]").check()
        expect(page.locator("[data-pick-count]")).to_have_text("1 ticked")
        search.press("Enter")  # does not send the form
        assert page.url.endswith("/chat/channels/new")
        page.fill("input[name=name]", "Group B")
        page.locator("input[name=visibility][value=chosen]").check()
        page.get_by_role("button", name="Open the channel").click()
        expect(page.locator("[data-chat][data-chat-ready]")).to_be_attached()
        page.locator(".chat-member-choice summary").click()
        checked = page.locator(".chat-member-choice [data-pick-row]").filter(has=page.locator("input:checked"))
        expect(checked).to_have_count(1)
        expect(checked.locator(".member-name")).to_have_text("Lin (Group B)")
