"""The chat on a 390×844 phone (issue 17, fe17b majors 3 and 4): the message list takes most of the screen (the
chat's head is one line, the search waits behind its button, the pinned message is one line that opens on a
tap), nothing scrolls sideways, the Attach toggle is a 44 px target; a channel search's results page keeps its
one-line search field on top of the results."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def chat(live_server):
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.chat import queries as chat_q
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"pl-mei-{tag}@example.org", PASSWORD, "Mei Chen")
        siyu = account_ops.register_user(f"pl-siyu-{tag}@example.org", PASSWORD, "Liu Siyu")
        circle = circle_ops.create_circle(teacher, f"Jazz Dance — Beginners 爵士舞入门 {tag}")
        circle_ops.add_member(circle, siyu, Role.student, display_name="思雨")
        main = chat_ops.ensure_main_channel(circle)
        db.session.flush()
        staff = chat_q.reader_of(circle, teacher)
        for n in range(12):
            chat_ops.send_message(main, staff, body=f"本周练习 {n + 1}：第三段，见 https://example.org 。")
        pinned = chat_ops.send_message(main, staff, body="大家好！本周练习：第三段。Saturday class moves to studio 2, "
                                                         "bring water and the practice shoes; 周六的课改到二号教室。")
        chat_ops.pin_message(main, staff, pinned)
        db.session.commit()
        found = {"path": f"/c/{circle.id}/chat/{main.id}", "siyu": siyu.email}
        db.session.remove()
    return found


def _phone_page(chromium, live_server, email, path):
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    expect(page.locator("[data-chat][data-chat-ready]")).to_be_attached()
    return context, page


def test_the_message_list_takes_most_of_a_phone_screen(chromium, live_server, chat, screenshots):
    context, page = _phone_page(chromium, live_server, chat["siyu"], chat["path"])
    try:
        with screenshots.on_failure(page, "phone-list-height"):
            page.wait_for_function("() => document.querySelector('[data-chat]').getBoundingClientRect().top < 2")
            shown = page.evaluate("() => document.querySelector('[data-chat-scroll]').getBoundingClientRect().height")
            assert shown >= PHONE["height"] * 0.55, shown  # the list, not the chrome around it
            found = page.evaluate(OVERFLOW_SCRIPT, ".chat-scroll, .chat-messages pre")
            assert found["page"] <= found["screen"], found["wide"]
            assert not found["offScreen"], found["offScreen"]
        with screenshots.on_failure(page, "phone-pinned"):
            pinned = page.locator("[data-chat-pinned]")
            closed = pinned.bounding_box()["height"]
            assert closed < 50, closed  # one line
            pinned.click()
            expect(pinned).to_have_attribute("aria-expanded", "true")
            assert pinned.bounding_box()["height"] > closed
            pinned.click()
            expect(pinned).to_have_attribute("aria-expanded", "false")
        with screenshots.on_failure(page, "combobox"):
            body = page.locator("[data-chat-body]")  # the @mention list is announced (WAI-ARIA combobox)
            expect(body).to_have_attribute("role", "combobox")
            expect(body).to_have_attribute("aria-autocomplete", "list")
        with screenshots.on_failure(page, "phone-attach"):
            attach = page.locator(".chat-attach summary").bounding_box()
            assert attach["height"] >= 44, attach
        with screenshots.on_failure(page, "phone-search"):
            field = page.locator(".chat-head input[type=search]")
            expect(field).to_be_hidden()
            page.locator(".chat-head .chat-search button").click()
            expect(field).to_be_visible()
            expect(field).to_be_focused()
            field.fill("练习")
            field.press("Enter")
            page.wait_for_url("**/search?**")
            expect(page.locator(".chat-results .chat-message").first).to_be_visible()
            box = page.locator(".chat-search input").bounding_box()
            assert box["height"] < 60, box
            first = page.locator(".chat-results .chat-message").first.bounding_box()
            assert box["y"] < first["y"]  # the field on top, the results under it
            found = page.evaluate(OVERFLOW_SCRIPT, ".chat-messages pre")
            assert found["page"] <= found["screen"], found
    finally:
        context.close()


#: does the empty message box show its whole hint? (its text put in for a moment: the hint wraps as text does)
HINT_FITS = """() => {
  const box = document.querySelector('[data-chat-body]');
  box.value = box.placeholder;
  const fits = {scroll: box.scrollHeight, client: box.clientHeight};
  box.value = '';
  return fits;
}"""


def test_the_message_box_shows_its_whole_hint(chromium, live_server, chat, screenshots):
    """At 390 px in Chinese, does the empty message box show its two-line hint whole? The second line was cut in
    half."""
    context, page = _phone_page(chromium, live_server, chat["siyu"], chat["path"])
    try:
        with screenshots.on_failure(page, "hint"):
            fits = page.evaluate(HINT_FITS)
            assert fits["scroll"] <= fits["client"], fits
    finally:
        context.close()
