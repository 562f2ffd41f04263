"""Circle chat in three browsers: two students and a teacher chat live (one student on a 390 px phone in Chinese):
Markdown-lite, a reply, an @mention with autocomplete that rings the bell, the live region, a deletion and "only
staff can write" seen on every screen at once; the phone page never scrolls sideways."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, TIMEOUT_MS
from tests.browser.test_phone_width import IPHONE, OVERFLOW_SCRIPT, PHONE

pytestmark = pytest.mark.browser

#: strips that scroll sideways on purpose (the tabs, the channel list on a phone)
SCROLLERS = ".table-wrap, .tabs, .chat-channels ul"


@pytest.fixture
def chat(live_server):
    from lms.accounts import operations as account_ops
    from lms.chat import operations as chat_ops
    from lms.circles import operations as circle_ops
    from lms.circles.models import Role
    from lms.extensions import db

    tag = uuid.uuid4().hex[:6]
    with live_server.app.app_context():
        teacher = account_ops.register_user(f"chat-teacher-{tag}@example.org", PASSWORD, "Teacher Tan")
        sam = account_ops.register_user(f"chat-sam-{tag}@example.org", PASSWORD, "Sam Account Name")
        li = account_ops.register_user(f"chat-li-{tag}@example.org", PASSWORD, "Li Account Name")
        circle = circle_ops.create_circle(teacher, f"Optics {tag}")
        circle_ops.add_member(circle, sam, Role.student, display_name="Sam In Class")
        circle_ops.add_member(circle, li, Role.student, display_name="李小龙 Li")
        channel = chat_ops.ensure_main_channel(circle)
        db.session.commit()
        found = {"path": f"/c/{circle.id}/chat/{channel.id}", "teacher": teacher.email, "sam": sam.email,
                 "li": li.email}
        db.session.remove()
    return found


def _sign_in(page, email: str, path: str):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    expect(page.locator("[data-chat][data-chat-ready]")).to_be_attached()
    return page


def _phone(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, user_agent=IPHONE,
                                   is_mobile=True, has_touch=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    return context


def _wait_until_read(live_server, email: str, path: str) -> None:
    """Until `email`'s place in the channel at `path` is its newest message (fails after TIMEOUT_MS)."""
    import time

    import sqlalchemy as sa

    from lms.accounts.models import User
    from lms.chat.models import ChatMessage, ChatRead
    from lms.extensions import db

    channel_id = int(path.rsplit("/", 1)[1])
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    with live_server.app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == email))
        while True:
            newest = db.session.scalar(sa.select(sa.func.max(ChatMessage.id))
                                       .where(ChatMessage.channel_id == channel_id))
            place = db.session.scalar(sa.select(ChatRead.last_read_id)
                                      .where(ChatRead.channel_id == channel_id, ChatRead.user_id == user_id))
            db.session.rollback()
            if place == newest:
                break
            assert time.monotonic() < deadline, f"read up to message {place}, the newest is {newest}"
            time.sleep(0.05)
        db.session.remove()


def _send(page, text: str):
    page.fill("[data-chat-body]", text)
    page.locator("[data-chat-body]").press("Enter")
    expect(page.locator("[data-chat-body]")).to_have_value("")


def test_two_students_and_a_teacher_chat_live(new_context, chromium, live_server, chat, screenshots):
    teacher = _sign_in(new_context().new_page(), chat["teacher"], chat["path"])
    sam = _sign_in(new_context().new_page(), chat["sam"], chat["path"])
    phone = _phone(chromium, live_server)
    try:
        li = _sign_in(phone.new_page(), chat["li"], chat["path"])
        expect(li.locator("html")).to_have_attribute("lang", "zh-Hans")

        with screenshots.on_failure(sam, "sam-writes"):
            _send(sam, "Is the angle **measured** from the `normal`? <b>x</b>")
        for page, name in ((teacher, "teacher"), (li, "li")):
            with screenshots.on_failure(page, f"{name}-reads"):
                message = page.locator(".chat-message").filter(has_text="from the")
                expect(message).to_have_count(1)
                expect(message.locator(".member-name")).to_have_text("Sam In Class")  # the circle identity
                expect(message.locator(".chat-body strong")).to_have_text("measured")
                expect(message.locator(".chat-body code")).to_have_text("normal")
                expect(message.locator(".chat-body b")).to_have_count(0)  # typed HTML stays text
        with screenshots.on_failure(li, "li-live-region"):
            expect(li.locator("[data-chat-announce]")).to_contain_text("Sam In Class")

        with screenshots.on_failure(li, "li-replies"):
            li.locator(".chat-message").filter(has_text="from the").locator('[data-action="reply"]').click()
            expect(li.locator("[data-replying]")).to_be_visible()
            _send(li, "我也想知道 the same")
        with screenshots.on_failure(sam, "sam-sees-reply"):
            reply = sam.locator(".chat-message").filter(has_text="我也想知道")
            expect(reply.locator(".chat-reply-quote")).to_contain_text("Sam In Class")
            expect(reply.locator(".member-name")).to_have_text("李小龙 Li")

        with screenshots.on_failure(teacher, "teacher-mentions"):
            teacher.fill("[data-chat-body]", "Good question @李小")
            teacher.locator("[data-chat-body]").press("End")
            teacher.locator("[data-chat-body]").type("龙")
            teacher.locator('[data-mention-list] [data-action="mention"]').filter(has_text="李小龙 Li").click()
            teacher.locator("[data-chat-body]").type("yes, from the normal.")
            teacher.locator("[data-chat-body]").press("Enter")
            expect(teacher.locator("[data-chat-body]")).to_have_value("")
        with screenshots.on_failure(li, "li-mentioned"):
            mentioned = li.locator(".chat-message.mentions-me")
            expect(mentioned).to_contain_text("yes, from the normal.")
            expect(li.locator("[data-bell-count]")).to_have_text("1")  # the notification, pushed live

        with screenshots.on_failure(teacher, "teacher-deletes"):
            teacher.once("dialog", lambda dialog: dialog.accept())
            teacher.locator(".chat-message").filter(has_text="from the").first.locator('[data-action="delete"]').click()
        # each reads the quote of the deleted message in their own language (Li's phone is in Chinese)
        for page, name, gone in ((sam, "sam", "(message not available)"), (li, "li", "（消息不可用）")):
            with screenshots.on_failure(page, f"{name}-sees-deleted"):
                expect(page.locator(".chat-message.deleted")).to_have_count(1)
                expect(page.locator(".chat-body").filter(has_text="measured")).to_have_count(0)
                expect(page.locator(".chat-reply-quote")).to_contain_text(gone)

        with screenshots.on_failure(teacher, "teacher-mutes-all"):
            teacher.locator("[data-mute-all]").check()
        with screenshots.on_failure(sam, "sam-muted"):
            expect(sam.locator("[data-chat-state]")).to_contain_text("Only the staff can write here for now.")
            sam.fill("[data-chat-body]", "can I still talk?")
            sam.locator("[data-chat-body]").press("Enter")
            expect(sam.locator("[data-chat-notice]")).to_have_text("Only the staff can write here for now.")
        with screenshots.on_failure(sam, "sam-unread-elsewhere"):
            # Sam's page tells the server he has read what it showed him (a moment after it arrived): he leaves
            # once it has, so the one unread message is the one written while he was away
            _wait_until_read(live_server, chat["sam"], chat["path"])
            home = chat["path"].rsplit("/chat/", 1)[0]
            sam.goto(home)
            _send(teacher, "Homework for tonight: read chapter 4.")
            expect(teacher.locator(".chat-message").filter(has_text="chapter 4")).to_have_count(1)
            sam.reload()
            expect(sam.locator("a[data-chat-unread-circle] .chat-tab-unread")).to_have_text("1")
            expect(sam.locator("[data-chat-unread]")).to_have_text("1")
            sam.locator("a[data-chat-unread-circle]").click()
            expect(sam.locator("[data-chat][data-chat-ready]")).to_be_attached()
            expect(sam.locator("[data-unread]:visible")).to_have_count(0)  # read once shown at the bottom
        with screenshots.on_failure(li, "li-not-sideways"):
            # the last message has arrived and the list settled (a message being laid out may be wider a moment)
            expect(li.locator(".chat-message").filter(has_text="chapter 4")).to_have_count(1)
            li.wait_for_function(f"document.scrollingElement.scrollWidth <= {PHONE['width']}")
            found = li.evaluate(OVERFLOW_SCRIPT, SCROLLERS)
            debug = li.evaluate("""() => Array.from(document.querySelectorAll('*')).filter(e => { const r = e.getBoundingClientRect(); return r.left + e.scrollWidth > 390.5 && getComputedStyle(e).overflowX === 'visible'; }).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().left) + '+' + e.scrollWidth).slice(0, 15)""")
            print("DEBUG", debug)
            fits = found["page"] <= PHONE["width"] and not found["offScreen"]
            assert fits, f"too wide: {found['wide']} {found['offScreen']}"
    finally:
        phone.close()
